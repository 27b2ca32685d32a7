// What a card says about the caller: the customer (grade, segment, VIP, care flags with
// their reasons, numbers, open tickets with SLA clocks, timeline), or the candidates when a
// number matches several customers, or "unknown"; plus the IVR path and a transfer's notes.

import { $, el, setText } from "./dom.js";
import { formatDate, formatDateTime, formatNumber, formatSpan, t } from "./i18n.js";
import { codeName, renderTimeline } from "./timeline.js";

export function renderInfo(card) {
  renderIvr(card);
  renderHandoff(card);
  setText(card.element, ".match", matchText(card));
  const known = Boolean(card.customer);
  $(".customer", card.element).hidden = !known;
  $(".unknown", card.element).hidden = known;
  for (const selector of [".note-form", ".ticket-box", ".edit-box"]) {
    $(selector, card.element).hidden = !known;
  }
  if (known) renderCustomer(card);
  else renderUnknown(card);
}

function matchText(card) {
  const { pop, customer } = card;
  if (pop.caller.withheld) return t("match.withheld");
  if (pop.lookup_failed && !customer) return t("match.failed");
  if (customer) {
    return (customer.phones || []).includes(pop.caller.number) ? t("match.exact") : t("match.key");
  }
  if (pop.matches && pop.matches.length) return t("match.several", { count: formatNumber(pop.matches.length) });
  return t("match.none");
}

function renderIvr(card) {
  const ivr = card.pop.ivr;
  const section = $(".ivr", card.element);
  section.hidden = !ivr;
  if (!ivr) return;
  const parts = [
    ivr.option ? t("ivr.option", { option: ivr.option }) : "",
    ivr.digits ? t("ivr.digits", { digits: ivr.digits }) : "",
    ivr.account ? t("ivr.account", { account: ivr.account }) : "",
    // The IVR sets customer_id only once the caller proved the account with a PIN.
    ivr.customer_id ? t("ivr.verified") : "",
  ];
  setText(section, ".ivr-text", parts.filter(Boolean).join(" · "));
}

function renderHandoff(card) {
  const handoff = card.pop.handoff;
  const section = $(".handoff", card.element);
  section.hidden = !handoff;
  if (!handoff) return;
  setText(section, ".handoff-from", t("handoff.from", { agent: handoff.from_agent }));
  const notes = handoff.notes || [];
  const items = notes.map((note) =>
    el("li", {}, [formatDateTime(note.at), note.agent, note.code && codeName(note.code), note.text].filter(Boolean).join(" · ")),
  );
  $(".handoff-notes", section).replaceChildren(...(items.length ? items : [el("li", {}, t("handoff.none"))]));
}

// ---- a known customer ----

function renderCustomer(card) {
  const customer = card.customer;
  const root = $(".customer", card.element);
  setText(root, ".customer-name", customer.name);
  $(".vip", root).hidden = !customer.vip;
  setText(root, ".grade", t("customer.grade", { grade: customer.grade }));
  setText(root, ".segment", t(`segment.${customer.segment}`));
  const grade = $(".grade", root);
  grade.dataset.grade = customer.grade;
  setText(root, ".customer-company", customer.company || "");
  setText(root, ".customer-notes", customer.notes || "");
  $(".customer-notes", root).hidden = !customer.notes;
  renderPhones(card, $(".phones", root));
  refreshSla(card);
  renderTimeline(card);
  $(".change-customer", root).hidden = card.pop.caller.withheld || !card.pop.caller.number;
}

function renderPhones(card, paragraph) {
  const buttons = (card.customer.phones || []).map((number) =>
    el("button", { type: "button", class: "dial-button link-button", dataset: { dial: number } },
      t("dial.number", { number })),
  );
  paragraph.replaceChildren(el("span", { class: "label" }, `${t("customer.phones")}: `), ...buttons);
}

// Flags and SLA clocks depend on the time: re-rendered every 30 s by the card stack.
export function refreshSla(card) {
  if (!card.customer) return;
  const now = Date.now();
  const root = $(".customer", card.element);
  const tickets = card.customer.open_tickets || [];
  $(".flags", root).replaceChildren(...careFlags(card.customer, tickets, now).map(flagItem));
  const items = tickets.map((ticket) => ticketItem(ticket, now));
  $(".tickets", root).replaceChildren(...(items.length ? items : [el("li", { class: "muted" }, t("tickets.none"))]));
}

function careFlags(customer, tickets, now) {
  const flags = [...(customer.flags || [])];
  const overdue = tickets.find((ticket) => ticket.due_at && Date.parse(ticket.due_at) < now);
  if (overdue && !flags.includes("overdue_ticket")) flags.push("overdue_ticket");
  return flags.map((flag) => ({ flag, reason: flagReason(flag, customer, tickets, overdue, now) }));
}

function flagReason(flag, customer, tickets, overdue, now) {
  if (flag === "open_complaint") {
    const complaint = tickets.find((ticket) => ticket.kind === "complaint");
    return t("why.open_complaint", { subject: complaint ? complaint.subject : "" });
  }
  if (flag === "overdue_ticket" && overdue) {
    return t("why.overdue_ticket", { id: overdue.id, late: formatSpan(now - Date.parse(overdue.due_at)) });
  }
  if (flag === "birthday_today" && customer.birthday) {
    return `${t("why.birthday_today")} (${formatDate(customer.birthday)})`;
  }
  return t(`why.${flag}`);
}

function flagItem({ flag, reason }) {
  // The reason shows on hover (title) and is read out with the flag (aria-label); the flag
  // is focusable so that keyboard users get the tooltip too.
  return el("li", { class: `flag flag-${flag}`, title: reason, tabindex: 0, "aria-label": `${t(`flag.${flag}`)}: ${reason}` },
    t(`flag.${flag}`));
}

function ticketItem(ticket, now) {
  let clock = t("tickets.no_due");
  let late = false;
  if (ticket.due_at) {
    const left = Date.parse(ticket.due_at) - now;
    late = left < 0;
    clock = t(late ? "tickets.overdue_by" : "tickets.due_in", { time: formatSpan(left) });
  }
  return el("li", { class: late ? "ticket overdue" : "ticket", dataset: { ticketId: ticket.id } },
    el("span", { class: "ticket-id" }, `#${ticket.id}`), " ",
    el("span", { class: "ticket-kind" }, t(`kind.${ticket.kind}`)), " · ",
    el("span", { class: "ticket-subject" }, ticket.subject), " · ",
    el("span", { class: "ticket-status" }, t(`tstatus.${ticket.status}`)), " · ",
    el("span", { class: "sla", title: formatDateTime(ticket.due_at) }, clock));
}

// ---- nobody, or several ----

function renderUnknown(card) {
  const pop = card.pop;
  const root = $(".unknown", card.element);
  const candidates = pop.matches || [];
  setText(root, ".unknown-text", candidates.length ? t("unknown.several") : t("unknown.title"));
  $(".matches", root).replaceChildren(...candidates.map(candidateItem));
  const phones = $(".create-form [name=phones]", root);
  if (!phones.value && !pop.caller.withheld) phones.value = pop.caller.number || pop.caller.raw || "";
}

function candidateItem(candidate) {
  const details = [candidate.company, t("customer.grade", { grade: candidate.grade }), (candidate.phones || []).join(", ")];
  return el("li", { class: "candidate", dataset: { customerId: candidate.id } },
    el("strong", { class: "candidate-name" }, candidate.name),
    candidate.vip ? el("span", { class: "badge vip" }, t("customer.vip")) : null,
    el("span", { class: "muted" }, ` ${details.filter(Boolean).join(" · ")} `),
    el("button", { type: "button", class: "pick", dataset: { customerId: candidate.id } }, t("unknown.pick")));
}
