// The transfer dialog: hand the live call of one card to a colleague (listed with their
// live state), a transfer queue, or a number, blind or attended, with an optional note
// for the receiver's pop. A modal <dialog>: focus stays inside, Escape closes it, and
// focus goes back to the card's Transfer button. Names and reasons are text, never HTML.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { label, t } from "./i18n.js";
import { controlError, showStatus } from "./control.js";

export class TransferDialog {
  constructor() {
    this.dialog = $("#transfer");
    this.form = $("#transfer-form");
    this.status = $("#transfer-status");
    this.submit = $("#transfer-submit");
    this.card = null;
    this.opener = null;
    this.targets = { agents: [], queues: [] };
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.send();
    });
    $("#transfer-close").addEventListener("click", () => this.dialog.close());
    this.dialog.addEventListener("close", () => this.opener && this.opener.focus());
    // Typing a number picks "this number".
    $("#transfer-number").addEventListener("input", () => {
      this.form.querySelector('input[name=target][value=number]').checked = true;
    });
  }

  async open(card, opener) {
    this.card = card;
    this.opener = opener;
    this.form.reset();
    this.submit.disabled = false;
    const caller = card.pop.caller;
    const who = caller.withheld ? t("caller.withheld") : caller.number || caller.raw;
    $("#transfer-call").textContent = t("transfer.call", { who });
    this.renderTargets({ agents: [], queues: [] });
    showStatus(this.status, "busy", t("transfer.loading"));
    this.dialog.showModal();
    try {
      this.renderTargets(await api("GET", "/api/transfer-targets"));
      showStatus(this.status, "", "");
      this.form.querySelector("input[name=target]").focus();
    } catch (error) {
      showStatus(this.status, "error", controlError(error));
    }
  }

  renderTargets(targets) {
    const chosen = this.chosen();
    this.targets = targets;
    const agents = targets.agents.map((a) => choice(`agent:${a.username}`, a.name, stateBadge(a)));
    const queues = targets.queues.map((q) => choice(`queue:${q}`, t("pop.queue", { queue: q })));
    if (!agents.length) agents.push(el("li", { class: "muted" }, t("transfer.no_colleagues")));
    $("#transfer-agents").replaceChildren(...agents);
    $("#transfer-queues").replaceChildren(...queues);
    $("#transfer-queues").closest("fieldset").hidden = !queues.length;
    const again = chosen && this.form.querySelector(`input[name=target][value="${CSS.escape(chosen)}"]`);
    if (again) again.checked = true;
  }

  chosen() {
    const radio = this.form.querySelector("input[name=target]:checked");
    return radio ? radio.value : null;
  }

  // {to, name}: what the API is given, and what the agent is told.
  target() {
    const chosen = this.chosen();
    if (!chosen) return { to: "" };
    if (chosen === "number") {
      const number = $("#transfer-number").value.trim();
      return { to: number, name: number };
    }
    const split = chosen.indexOf(":");
    const [kind, to] = [chosen.slice(0, split), chosen.slice(split + 1)];
    const agent = kind === "agent" && this.targets.agents.find((a) => a.username === to);
    return { to, name: agent ? agent.name : to };
  }

  async send() {
    const { to, name } = this.target();
    if (!to) {
      showStatus(this.status, "error", t("transfer.pick"));
      return;
    }
    const mode = this.form.elements.mode.value;
    const note = this.form.elements.note.value.trim();
    this.submit.disabled = true;
    showStatus(this.status, "busy", t("transfer.sending"));
    try {
      const path = `/api/calls/${encodeURIComponent(this.card.callId)}/transfer`;
      await api("POST", path, { to, mode, note: note || undefined });
      showStatus(this.status, "ok", t(`transfer.sent_${mode}`, { name }));
    } catch (error) {
      this.submit.disabled = false;
      showStatus(this.status, "error", controlError(error));
    }
  }

  relabel() {
    if (this.dialog.open) this.renderTargets(this.targets);
  }
}

function choice(value, name, badge = "") {
  const radio = el("input", { type: "radio", name: "target", value });
  const text = el("span", { class: "target-name" }, name);
  return el("li", {}, el("label", { class: "check target" }, radio, " ", text, " ", badge));
}

// "Away — lunch", "On a call", "Offline": what the colleague is doing now.
function stateBadge(agent) {
  const state = label("status", agent.status);
  const text = agent.on_call
    ? t("transfer.on_call")
    : agent.reason ? `${state} — ${label("pause", agent.reason)}` : state;
  const dataset = { status: agent.status, onCall: String(agent.on_call) };
  return el("span", { class: "agent-state", dataset }, text);
}
