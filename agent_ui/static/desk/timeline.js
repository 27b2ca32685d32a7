// One timeline of the customer's last contacts — calls, tickets and notes, whoever handled
// them — newest first. The pop carries the last calls, so the card shows them at once; the
// full timeline (with tickets and notes) is fetched right after and replaces it.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { dispositionLabel, formatDateTime, label, t } from "./i18n.js";

let dispositions = [];

export function setDispositions(list) {
  dispositions = list;
}

function fromPop(customer) {
  return (customer.recent_interactions || []).map((item) => ({
    kind: "call",
    at: item.at,
    agent: item.agent,
    call_id: item.call_id,
    outcome: item.outcome,
    code: item.code,
    text: item.notes,
    recording: item.recording,
  }));
}

export async function loadTimeline(card) {
  if (!card.customer) return;
  const customerId = card.customer.id;
  try {
    const { items } = await api("GET", `/api/customers/${customerId}/timeline`);
    if (card.customer && card.customer.id === customerId) {
      card.timeline = items;
      renderTimeline(card);
    }
  } catch (_error) {
    // The pop's own list stays: the timeline is a refinement, never a reason to fail.
  }
}

export function renderTimeline(card) {
  const list = $(".timeline", card.element);
  const items = (card.timeline || fromPop(card.customer))
    .filter((item) => !(item.kind === "call" && item.call_id === card.callId));
  const rows = items.map((item) => timelineItem(item, card.customer.id));
  list.replaceChildren(...(rows.length ? rows : [el("li", { class: "muted" }, t("timeline.none"))]));
}

// A disposition code as the agent knows it (the settings' label, translated).
export function codeName(code) {
  const known = dispositions.find((d) => d.code === code);
  return known ? dispositionLabel(known) : code;
}

function codeLabel(item) {
  if (!item.code) return "";
  return item.kind === "ticket" ? label("prio", item.code) : codeName(item.code);
}

function outcomeLabel(item) {
  return label(item.kind === "ticket" ? "tstatus" : "outcome", item.outcome);
}

function timelineItem(item, customerId) {
  const what = item.kind === "ticket" ? `${t("timeline.ticket")} #${item.ticket_id} ${t(`kind.${item.ticket_kind}`)}` : t(`timeline.${item.kind}`);
  const li = el("li", { class: `tl tl-${item.kind}`, dataset: { kind: item.kind } },
    el("time", { datetime: item.at }, formatDateTime(item.at)), " ",
    el("strong", { class: "tl-what" }, what), " · ",
    el("span", { class: "tl-who" }, item.agent || t("timeline.nobody")),
    item.outcome ? " · " : "", item.outcome ? el("span", { class: "tl-outcome" }, outcomeLabel(item)) : null,
    item.code ? " · " : "", item.code ? el("span", { class: "tl-code" }, codeLabel(item)) : null);
  if (item.kind === "call") {
    li.append(" ", el("button", { type: "button", class: "dial-button link-button", dataset: { dialCustomer: customerId } }, t("dial.customer")));
  }
  if (item.text) li.append(el("span", { class: "tl-text" }, item.text));
  if (item.kind === "call" && typeof item.recording === "string" && item.recording.startsWith("/api/calls/")) {
    li.append(recordingPlayer(item.recording));
  }
  return li;
}

// The call's recording, from the bridge: fetched only when the agent plays it (each play
// is audited), and only for those who may hear it.
function recordingPlayer(url) {
  return el("audio", { class: "tl-recording", controls: true, preload: "none", src: url, "aria-label": t("timeline.recording") });
}
