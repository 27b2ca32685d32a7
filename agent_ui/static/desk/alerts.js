// Service-level alerts addressed to me (I am the ticket's assignee): a short list above the
// calls, newest first, each once (replays and second tabs carry the same alert_id).

import { $, el } from "./dom.js";
import { formatTime, t } from "./i18n.js";

const KEEP = 5;
const seen = new Set();

export function showAlert(message) {
  const key = message.alert_id ?? `${message.kind}:${message.ticket && message.ticket.id}:${message.at}`;
  if (seen.has(key) || !message.ticket) return;
  seen.add(key);
  const list = $("#alerts");
  const ticket = message.ticket;
  const text = t(`alert.${message.kind}`, { id: ticket.id, subject: ticket.subject });
  const dismiss = el("button", { type: "button", class: "link-button" }, t("alert.dismiss"));
  const item = el("li", { class: `alert alert-${message.kind}`, dataset: { ticketId: ticket.id } },
    el("time", { datetime: message.at }, formatTime(message.at || new Date().toISOString())), " ", text, " ", dismiss);
  dismiss.addEventListener("click", () => {
    item.remove();
    list.hidden = list.children.length === 0;
  });
  list.prepend(item);
  while (list.children.length > KEEP) list.lastElementChild.remove();
  list.hidden = false;
}
