// The stack of call cards: one per call_id, newest first, none lost.
//
// A card is created by a screen_pop and moved through its states by call_update messages
// (ringing -> answered (live) -> ended; missed; transferred_away; abandoned). Messages can
// arrive twice (replay after a reconnect, a second tab's restore): a card keeps the seq of
// the last message applied and ignores anything older or equal, so a replay never goes
// back in time and never makes a second card.

import { $, setText } from "./dom.js";
import { applyLabels, formatClock, formatTime, label, t } from "./i18n.js";
import { renderInfo, refreshSla } from "./customer.js";
import { renderControl } from "./control.js";

const FINISHED = new Set(["missed", "ended", "abandoned", "transferred_away"]);
// Finished cards beyond this many are dropped from the page (live ones never are).
const KEEP_FINISHED = 15;
let serial = 0;

// Each card is a copy of one template: give its fields ids of their own so that every
// <label for> names exactly its control.
function linkLabels(root) {
  for (const label of root.querySelectorAll("label.field")) {
    const control = label.nextElementSibling;
    serial += 1;
    control.id = `field-${serial}`;
    label.htmlFor = control.id;
  }
}

export class CardStack {
  constructor(container, hooks) {
    this.container = container;
    // {wire(card), refresh(card), onNew(card), onFinished(card, previousState), onChange()}
    this.hooks = hooks;
    this.cards = new Map();
    this.connectedAt = Date.now();
    setInterval(() => this.tick(), 1000);
  }

  // ---- messages ----

  pop(message, { restoring = false } = {}) {
    const known = this.cards.get(message.call_id);
    if (known && known.seq >= message.seq) return known;
    const card = known || this.create(message.call_id);
    card.seq = message.seq;
    card.pop = message;
    // A second offer of a call keeps the customer the agent picked on the first one.
    card.customer = message.customer || (known && known.customer) || null;
    card.state = "ringing";
    card.stateAt = message.offered_at;
    card.reason = null;
    card.offline = !restoring && Date.parse(message.offered_at) < this.connectedAt - 1000;
    card.timeline = null;
    this.render(card);
    if (!known) {
      this.container.prepend(card.element);
      this.hooks.wire(card);
      if (!restoring) this.hooks.onNew(card);
    } else {
      // A second offer of the same call (e.g. transferred back to me): bring it to the top.
      this.container.prepend(card.element);
    }
    this.trim();
    if (!restoring) this.hooks.refresh(card);
    this.hooks.onChange();
    return card;
  }

  update(message) {
    const card = this.cards.get(message.call_id);
    if (!card || card.seq >= message.seq) return; // unknown call, or a stale replay
    card.seq = message.seq;
    const previous = card.state;
    card.state = message.state;
    card.stateAt = message.at;
    card.reason = message.reason || null;
    this.renderState(card);
    if (FINISHED.has(message.state) && !FINISHED.has(previous)) this.hooks.onFinished(card, previous);
    this.hooks.onChange();
  }

  restore(saved) {
    for (const item of [...saved].reverse()) {
      const card = this.pop(item.pop, { restoring: true });
      Object.assign(card, {
        seq: item.seq,
        state: item.state,
        stateAt: item.stateAt,
        reason: item.reason,
        customer: item.customer,
        offline: item.offline,
        accepted: item.accepted,
        requests: item.requests || card.requests,
      });
      this.render(card);
      this.hooks.refresh(card);
    }
  }

  snapshot() {
    return this.ordered().map((c) => ({
      pop: c.pop,
      seq: c.seq,
      state: c.state,
      stateAt: c.stateAt,
      reason: c.reason,
      customer: c.customer,
      offline: c.offline,
      accepted: c.accepted,
      requests: c.requests,
    }));
  }

  // ---- cards ----

  create(callId) {
    const element = $("#pop-template").content.firstElementChild.cloneNode(true);
    element.dataset.callId = callId;
    linkLabels(element);
    applyLabels(element);
    const card = { callId, element, seq: 0, accepted: false, requests: {} };
    this.cards.set(callId, card);
    $(".close", element).addEventListener("click", () => this.remove(card));
    return card;
  }

  remove(card) {
    this.cards.delete(card.callId);
    card.element.remove();
    this.hooks.onChange();
  }

  ordered() {
    return [...this.container.children].map((node) => this.cards.get(node.dataset.callId)).filter(Boolean);
  }

  newest(predicate = () => true) {
    return this.ordered().find(predicate);
  }

  trim() {
    const finished = this.ordered().filter((c) => FINISHED.has(c.state));
    for (const card of finished.slice(KEEP_FINISHED)) this.remove(card);
  }

  // ---- rendering ----

  render(card) {
    const element = card.element;
    const pop = card.pop;
    const caller = pop.caller;
    setText(element, ".direction", t(`dir.${pop.direction}`));
    setText(element, ".caller-number", caller.withheld ? t("caller.withheld") : caller.number || caller.raw);
    setText(element, ".caller-name", caller.name || "");
    setText(element, ".queue", pop.queue ? t("pop.queue", { queue: pop.queue }) : "");
    $(".offline-badge", element).hidden = !card.offline;
    $(".accepted", element).hidden = !card.accepted;
    renderInfo(card);
    this.renderState(card);
  }

  renderState(card) {
    const element = card.element;
    element.dataset.state = card.state;
    const reason = card.reason ? ` — ${label("reason", card.reason)}` : "";
    setText(element, ".state", label("state", card.state) + reason);
    $(".close", element).hidden = !FINISHED.has(card.state);
    renderControl(card);
    this.renderClock(card);
  }

  renderClock(card) {
    const live = card.state === "ringing" || card.state === "answered";
    const text = live
      ? formatClock(Date.now() - Date.parse(card.stateAt))
      : t("pop.since", { time: formatTime(card.stateAt) });
    setText(card.element, ".clock", text);
  }

  relabel() {
    for (const card of this.cards.values()) {
      applyLabels(card.element);
      this.render(card);
    }
  }

  tick() {
    const now = Date.now();
    for (const card of this.cards.values()) {
      this.renderClock(card);
      if (now % 30000 < 1000) refreshSla(card);
    }
  }
}

export function isFinished(card) {
  return FINISHED.has(card.state);
}
