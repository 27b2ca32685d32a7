// Log-in to the queues with dynamic members the agent may join (GET /api/agents/me
// `queues`): one checkbox each. Ticking asks the server (PUT /api/agents/me/queues), which
// asks Asterisk (QueueAdd / QueueRemove); whether I am logged in is Asterisk's word, told
// by the server as `agent_queues` - for my own clicks and for my phone's *50/*51 alike.

import { api } from "./api.js";
import { $, el } from "./dom.js";
import { t } from "./i18n.js";

export class AgentQueues {
  constructor() {
    this.box = $("#queues");
    this.queues = [];
  }

  init(me) {
    this.queues = me.queues || [];
    this.render();
  }

  // `agent_queues` from the server: the state as Asterisk has it now.
  fromServer(message) {
    this.queues = message.queues || [];
    this.render();
  }

  render() {
    this.box.hidden = this.queues.length === 0;
    this.box.replaceChildren(...this.queues.map((queue) => this.checkbox(queue)));
  }

  checkbox(queue) {
    const input = el("input", { type: "checkbox", dataset: { queue: queue.name } });
    input.checked = queue.logged_in;
    input.addEventListener("change", () => this.save(queue, input));
    const name = queue.name.charAt(0).toUpperCase() + queue.name.slice(1).replace(/_/g, " ");
    return el("label", { class: "inline check" }, input, " ", t("queue.logged_in", { queue: name }));
  }

  async save(queue, input) {
    const wanted = input.checked;
    input.disabled = true;
    try {
      await api("PUT", "/api/agents/me/queues", { queue: queue.name, logged_in: wanted });
      queue.logged_in = wanted;  // Asterisk's event confirms it (agent_queues)
    } catch (error) {
      input.checked = queue.logged_in;
      input.parentElement.title = t("queue.failed", { error: error.message });
    } finally {
      input.disabled = false;
    }
  }
}
