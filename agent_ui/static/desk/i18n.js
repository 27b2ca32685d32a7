// Labels in English and Simplified Chinese, and locale-aware dates, times and numbers (Intl).
// Static labels in the page carry data-i18n="key" (text), data-i18n-placeholder,
// data-i18n-title and data-i18n-label (aria-label); applyLabels() fills them.

import { DISPOSITIONS_ZH, MESSAGES } from "./messages.js";

export const LANGUAGES = { en: "English", "zh-CN": "简体中文" };

let locale = "en";

export function setLocale(language) {
  // Agents may be stored as "zh", "zh-CN" or "zh-Hans": all get Simplified Chinese.
  const wanted = String(language || "").toLowerCase().startsWith("zh") ? "zh-CN" : language;
  locale = wanted in MESSAGES ? wanted : "en";
  document.documentElement.lang = locale;
  return locale;
}

// Pages beyond the desk (board, tickets, admin, audit) bring their own words:
// extendMessages({en: {...}, "zh-CN": {...}}) adds them to the catalogue before use.
export function extendMessages(catalogue) {
  for (const [language, words] of Object.entries(catalogue)) {
    MESSAGES[language] = { ...(MESSAGES[language] || {}), ...words };
  }
}

export function currentLocale() {
  return locale;
}

export function t(key, vars = {}) {
  const text = MESSAGES[locale][key] ?? MESSAGES.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => String(vars[name] ?? ""));
}

// For values from the server that may be new to this page (a state, a reason): the
// translation when there is one, else the value itself.
export function label(prefix, value) {
  const key = `${prefix}.${value}`;
  return key in MESSAGES[locale] || key in MESSAGES.en ? t(key) : String(value);
}

export function dispositionLabel(disposition) {
  if (locale === "zh-CN" && DISPOSITIONS_ZH[disposition.code]) return DISPOSITIONS_ZH[disposition.code];
  return disposition.label;
}

export function applyLabels(root = document) {
  for (const node of root.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  for (const node of root.querySelectorAll("[data-i18n-placeholder]")) {
    node.placeholder = t(node.dataset.i18nPlaceholder);
  }
  for (const node of root.querySelectorAll("[data-i18n-title]")) node.title = t(node.dataset.i18nTitle);
  for (const node of root.querySelectorAll("[data-i18n-label]")) {
    node.setAttribute("aria-label", t(node.dataset.i18nLabel));
  }
}

// ---- formatting --------------------------------------------------------------------------

export function formatDateTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
}

export function formatTime(iso) {
  if (!iso) return "";
  return new Intl.DateTimeFormat(locale, { timeStyle: "medium" }).format(new Date(iso));
}

export function formatDate(isoDate) {
  if (!isoDate) return "";
  const [year, month, day] = isoDate.split("-").map(Number);
  return new Intl.DateTimeFormat(locale, { dateStyle: "long", timeZone: "UTC" })
    .format(new Date(Date.UTC(year, month - 1, day)));
}

export function formatNumber(value) {
  return new Intl.NumberFormat(locale).format(value);
}

const UNITS = [
  ["day", 86400000],
  ["hour", 3600000],
  ["minute", 60000],
];

// "3 hours" / "3小时": the largest whole unit of a span, for SLA clocks.
export function formatSpan(milliseconds) {
  const span = Math.abs(milliseconds);
  const [unit, size] = UNITS.find(([, length]) => span >= length) || UNITS[UNITS.length - 1];
  const amount = Math.max(1, Math.floor(span / size));
  return new Intl.NumberFormat(locale, { style: "unit", unit, unitDisplay: "long" }).format(amount);
}

// 75 s -> "1:15", with locale digits: a running clock for ringing, talking and wrap-up.
export function formatClock(milliseconds) {
  const seconds = Math.max(0, Math.floor(milliseconds / 1000));
  const two = new Intl.NumberFormat(locale, { minimumIntegerDigits: 2 });
  const minutes = Math.floor(seconds / 60);
  return `${formatNumber(minutes)}:${two.format(seconds % 60)}`;
}
