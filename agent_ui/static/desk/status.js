// The agent's status (available / away with a reason / wrap-up), saved on the server, which
// pauses me in Asterisk's queues and shows supervisors. With [desk] wrapup_seconds the
// server puts me in wrap-up after a call and ends it itself: the desk counts down. Without,
// a call of mine that ends puts me in wrap-up with a running timer until I press Ready.
// The server tells every change (mine, a pause from my phone, wrap-up's end) as
// `agent_status`.

import { api } from "./api.js";
import { $ } from "./dom.js";
import { formatClock, t } from "./i18n.js";
import { tell } from "./tabs.js";

const SINCE_KEY = "cti.wrapSince";

export class AgentStatus {
  constructor() {
    this.select = $("#status");
    this.timer = $("#wrap-timer");
    this.readyButton = $("#ready");
    this.reasonBox = $("#reason-box");
    this.reason = $("#reason");
    this.wrapupSeconds = 0;
    this.status = "available";
    this.since = Number(localStorage.getItem(SINCE_KEY) || 0) || null;
    this.select.addEventListener("change", () => this.set(this.select.value));
    this.readyButton.addEventListener("click", () => this.ready());
    this.reason.addEventListener("change", () => this.set("away"));
    setInterval(() => this.tick(), 1000);
  }

  async init(me) {
    this.wrapupSeconds = me.wrapup_seconds || 0;
    const reasons = me.pause_reasons || [];
    this.reason.replaceChildren(...reasons.map((r) => new Option(r.replace(/_/g, " "), r)));
    const status = me.status;
    if (!status || status === "offline") await this.set("available");
    else this.show(status, me.since ? Date.parse(me.since) : this.since, me.reason);
  }

  // The server's word (`agent_status`): shown here and in my other tabs, not saved again.
  // My own choices ("desk") are shown already, and reach my other tabs directly.
  fromServer(message) {
    if (message.origin === "desk") return;
    const since = message.since ? Date.parse(message.since) : Date.now();
    this.show(message.status, since, message.reason);
    tell({ type: "status", status: message.status, since, reason: message.reason });
  }

  set(status) {
    const since = status === "wrap_up" ? Date.now() : null;
    const reason = status === "away" ? this.reason.value || null : null;
    this.show(status, since, reason);
    tell({ type: "status", status, since, reason });
    // "saved" marks the status the server holds once the last choice is written, not before.
    delete this.select.dataset.saved;
    // One PUT at a time, in order: a quick wrap-up -> Ready must not land reversed.
    this.saving = (this.saving || Promise.resolve()).then(() => this.save(status));
    return this.saving;
  }

  async save(status) {
    const body = status === "away" && this.reason.value ? { status, reason: this.reason.value } : { status };
    try {
      await api("PUT", "/api/agents/me/status", body);
      if (status === this.status) this.select.dataset.saved = status;
    } catch (error) {
      this.timer.hidden = false;
      this.timer.textContent = error.message;
    }
  }

  // Another tab changed it: mirror without saving again.
  show(status, since = this.since, reason = null) {
    this.status = status;
    this.select.value = status;
    this.reasonBox.hidden = status !== "away";
    if (status === "away" && reason) {
      if (![...this.reason.options].some((o) => o.value === reason)) this.reason.add(new Option(reason, reason));
      this.reason.value = reason;  // a pause from the phone may carry a reason of its own
    }
    this.since = status === "wrap_up" ? since || Date.now() : null;
    if (this.since) localStorage.setItem(SINCE_KEY, String(this.since));
    else localStorage.removeItem(SINCE_KEY);
    this.readyButton.hidden = status !== "wrap_up";
    this.tick();
  }

  wrapUp() {
    if (this.wrapupSeconds > 0) return;  // the server starts (and ends) it: agent_status
    if (this.status !== "wrap_up") this.set("wrap_up");
  }

  ready() {
    if (this.status !== "available") this.set("available");
  }

  tick() {
    const wrapping = this.status === "wrap_up" && this.since;
    this.timer.hidden = !wrapping;
    if (!wrapping) return;
    if (this.wrapupSeconds > 0) {
      const left = Math.max(0, this.wrapupSeconds * 1000 - (Date.now() - this.since));
      this.timer.dataset.left = String(Math.ceil(left / 1000));
      this.timer.textContent = t("wrap.countdown", { time: formatClock(left) });
    } else {
      this.timer.textContent = t("wrap.timer", { time: formatClock(Date.now() - this.since) });
    }
  }
}
