// Agent desk: log in, hold the live channel, show a card per call, wire the tools.
// The parts live in their own modules; this one connects them.

import { showAlert } from "./alerts.js";
import { api } from "./api.js";
import { $ } from "./dom.js";
import { LANGUAGES, applyLabels, setLocale, t } from "./i18n.js";
import { CardStack } from "./cards.js";
import { focusField, labelDispositions, markSaved, setActionEnv, wireActions } from "./actions.js";
import { loadTimeline, setDispositions } from "./timeline.js";
import { Link } from "./socket.js";
import { AgentStatus } from "./status.js";
import { AgentQueues } from "./queues.js";
import { announce, setupNotifications } from "./notify.js";
import { setupShortcuts } from "./keys.js";
import { forgetCards, listen, loadCards, saveCards, tell } from "./tabs.js";
import { MissedCalls } from "./missed.js";
import { wireControl } from "./control.js";
import { TransferDialog } from "./transfer.js";

const DISPOSITIONS = JSON.parse($("#dispositions").textContent);
const LANG_KEY = "cti.lang";
let stack = null;
let status = null;
let queues = null;
let link = null;
let transfer = null;

function useLanguage(language) {
  const locale = setLocale(language);
  localStorage.setItem(LANG_KEY, locale);
  $("#language").value = locale;
  applyLabels(document);
  document.title = `CTI Bridge — ${t("app.title")}`;
  if (stack) {
    stack.relabel();
    for (const card of stack.cards.values()) labelDispositions(card);
  }
  if (status) status.tick();
  if (queues) queues.render();
  if (transfer) transfer.relabel();
}

function fillLanguages() {
  const select = $("#language");
  select.replaceChildren(...Object.entries(LANGUAGES).map(([code, name]) => new Option(name, code)));
  let saving = Promise.resolve();
  select.addEventListener("change", () => {
    const language = select.value;
    useLanguage(language);
    // Written one at a time, in order; "saved" only once the last choice is stored.
    delete select.dataset.saved;
    saving = saving.then(async () => {
      try {
        await api("PATCH", "/api/agents/me", { language });
        if (select.value === language) select.dataset.saved = language;
      } catch (_error) {
        // Still switched on this page; the next login falls back to the stored language.
      }
    });
  });
}

// ---- login -------------------------------------------------------------------------------

async function start() {
  const browserLanguage = navigator.language.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
  fillLanguages();
  useLanguage(localStorage.getItem(LANG_KEY) || browserLanguage);
  setActionEnv({ dispositions: DISPOSITIONS, dial, changed: persist, saved: toldSaved });
  setDispositions(DISPOSITIONS);
  try {
    const { agent } = await api("GET", "/api/session");
    await showDesk(agent);
  } catch (_error) {
    $("#login").hidden = false;
  }
}

$("#login").addEventListener("submit", async (event) => {
  event.preventDefault();
  $("#login-error").textContent = "";
  try {
    const { agent } = await api("POST", "/api/session", {
      username: $("#username").value,
      password: $("#password").value,
    });
    $("#login").hidden = true;
    await showDesk(agent);
  } catch (error) {
    $("#login-error").textContent = error.message;
  }
});

$("#logout").addEventListener("click", async () => {
  if (link) link.close();
  forgetCards();
  await api("DELETE", "/api/session").catch(() => {});
  location.reload();
});

async function showDesk(agent) {
  useLanguage(agent.language);
  $("#who").textContent = agent.name;
  for (const id of ["#logout", "#desk", "#tools"]) $(id).hidden = false;
  status = new AgentStatus();
  queues = new AgentQueues();
  setupNotifications();
  transfer = new TransferDialog();
  stack = new CardStack($("#pops"), {
    wire: (card) => {
      wireActions(card);
      wireControl(card, transfer);
    },
    refresh: loadTimeline,
    onNew: (card) => announce(card, focusCard),
    onFinished: finished,
    onChange: persist,
  });
  stack.restore(loadCards());
  persist();
  link = new Link({ onMessage: receive, onUp: linkUp, onDown: linkDown, onRefused: checkSession, known: (id) => stack.cards.has(id) });
  link.connect();
  setupShortcuts({ accept, disposition: () => focusNewest(".disposition select"), note, ready: () => status.ready() });
  listen(fromOtherTab);
  const me = await api("GET", "/api/agents/me");
  await status.init(me);
  queues.init(me);
  await new MissedCalls($("#missed"), { label: t, callable: agent.interfaces.length > 0 }).load();
}

// ---- live channel ------------------------------------------------------------------------

function receive(message) {
  if (message.type === "screen_pop") stack.pop(message);
  else if (message.type === "call_update") stack.update(message);
  else if (message.type === "alert") showAlert(message);
  else if (message.type === "agent_status") status.fromServer(message);
  else if (message.type === "agent_queues") queues.fromServer(message);
}

function linkUp() {
  stack.connectedAt = Date.now();
  $("#banner").hidden = true;
  $("#link").dataset.state = "up";
  $("#link").dataset.i18n = "link.up";
  applyLabels($(".bar"));
}

function linkDown(banner) {
  $("#banner").dataset.i18n = banner;
  $("#banner").textContent = t(banner);
  $("#banner").hidden = false;
  $("#link").dataset.state = "down";
  $("#link").dataset.i18n = "link.down";
  applyLabels($(".bar"));
}

async function checkSession() {
  try {
    await api("GET", "/api/session");
  } catch (error) {
    if (error.status === 401) location.reload(); // logged out elsewhere: show the login
  }
}

// ---- cards -------------------------------------------------------------------------------

function persist() {
  saveCards(stack.snapshot());
  $("#idle").hidden = stack.cards.size > 0;
}

function finished(card, previous) {
  // My call is over: wrap-up starts (transferred away counts: the caller was mine).
  if (previous === "answered" && (card.state === "ended" || card.state === "transferred_away")) status.wrapUp();
}

function focusCard(card) {
  card.element.scrollIntoView({ block: "nearest" });
  card.element.focus();
}

function accept() {
  const card = stack.newest((c) => c.state === "ringing") || stack.newest();
  if (!card) return;
  card.accepted = true;
  $(".accepted", card.element).hidden = false;
  focusCard(card);
  persist();
}

function focusNewest(selector) {
  const card = stack.newest();
  return Boolean(card) && focusField(card, selector);
}

function note() {
  if (!focusNewest(".note-form textarea")) focusNewest(".disposition textarea");
}

function toldSaved(card, form) {
  tell({ type: "saved", callId: card.callId, form });
}

function fromOtherTab(message) {
  if (message.type === "saved") {
    const card = stack.cards.get(message.callId);
    if (card) markSaved(card, message.form);
  } else if (message.type === "status") {
    status.show(message.status, message.since, message.reason);
  }
}

// ---- click-to-dial -----------------------------------------------------------------------

async function dial(body) {
  const line = $("#dial-status");
  line.hidden = false;
  try {
    const result = await api("POST", "/api/calls", body);
    line.dataset.state = "ok";
    line.textContent = t("dial.started", { number: result.number });
  } catch (error) {
    line.dataset.state = "error";
    line.textContent = error.message;
  }
}

$("#dial").addEventListener("submit", (event) => {
  event.preventDefault();
  const number = $("#dial-number").value.trim();
  if (number) dial({ number });
});

start();
