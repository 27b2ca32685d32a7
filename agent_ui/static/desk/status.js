// The agent's status (available / away / wrap-up), saved on the server where supervisors
// see it. A call of mine that ends puts me in wrap-up with a running timer until I press
// Ready (or pick another status).

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
    this.status = "available";
    this.since = Number(localStorage.getItem(SINCE_KEY) || 0) || null;
    this.select.addEventListener("change", () => this.set(this.select.value));
    this.readyButton.addEventListener("click", () => this.ready());
    setInterval(() => this.tick(), 1000);
  }

  async init(status) {
    if (!status || status === "offline") await this.set("available");
    else this.show(status);
  }

  set(status) {
    const since = status === "wrap_up" ? Date.now() : null;
    this.show(status, since);
    tell({ type: "status", status, since });
    // "saved" marks the status the server holds once the last choice is written, not before.
    delete this.select.dataset.saved;
    // One PUT at a time, in order: a quick wrap-up -> Ready must not land reversed.
    this.saving = (this.saving || Promise.resolve()).then(() => this.save(status));
    return this.saving;
  }

  async save(status) {
    try {
      await api("PUT", "/api/agents/me/status", { status });
      if (status === this.status) this.select.dataset.saved = status;
    } catch (error) {
      this.timer.hidden = false;
      this.timer.textContent = error.message;
    }
  }

  // Another tab changed it: mirror without saving again.
  show(status, since = this.since) {
    this.status = status;
    this.select.value = status;
    this.since = status === "wrap_up" ? since || Date.now() : null;
    if (this.since) localStorage.setItem(SINCE_KEY, String(this.since));
    else localStorage.removeItem(SINCE_KEY);
    this.readyButton.hidden = status !== "wrap_up";
    this.tick();
  }

  wrapUp() {
    if (this.status !== "wrap_up") this.set("wrap_up");
  }

  ready() {
    if (this.status !== "available") this.set("available");
  }

  tick() {
    const wrapping = this.status === "wrap_up" && this.since;
    this.timer.hidden = !wrapping;
    if (wrapping) this.timer.textContent = t("wrap.timer", { time: formatClock(Date.now() - this.since) });
  }
}
