// Labels in English and Simplified Chinese, and locale-aware dates, times and numbers (Intl).
// Static labels in the page carry data-i18n="key" (text), data-i18n-placeholder,
// data-i18n-title and data-i18n-label (aria-label); applyLabels() fills them.

const MESSAGES = {
  en: {
    "app.title": "Agent desk",
    "login.title": "Log in",
    "login.username": "Username",
    "login.password": "Password",
    "login.submit": "Log in",
    "bar.logout": "Log out",
    "bar.status": "My status",
    "bar.language": "Language",
    "bar.notify": "Notifications",
    "bar.sound": "Sound",
    "bar.ready": "Ready",
    "bar.dial": "Number to call",
    "bar.dial_button": "Call",
    "bar.shortcuts": "Keyboard shortcuts",
    "status.available": "Available",
    "status.away": "Away",
    "status.wrap_up": "Wrap-up",
    "status.offline": "Offline",
    "wrap.timer": "Wrap-up {time}",
    "link.connecting": "connecting…",
    "link.up": "connected",
    "link.down": "disconnected",
    "banner.down": "Connection lost — reconnecting… Calls that ring meanwhile will appear when it is back.",
    "desk.idle": "Waiting for calls…",
    "desk.calls": "Calls",
    "state.ringing": "Ringing",
    "state.answered": "Live",
    "state.missed": "Missed",
    "state.ended": "Ended",
    "state.abandoned": "Caller hung up",
    "state.transferred_away": "Transferred away",
    "reason.answered_elsewhere": "answered by a colleague",
    "reason.caller_hangup": "caller hung up",
    "reason.no_answer": "not answered in time",
    "reason.picked_up": "picked up by a colleague",
    "alert.ticket_overdue": "Ticket #{id} “{subject}” is overdue.",
    "alert.ticket_due_soon": "Ticket #{id} “{subject}” is due soon.",
    "alert.dismiss": "Dismiss",
    "dir.inbound": "Inbound",
    "dir.outbound": "Outbound",
    "caller.withheld": "Number withheld",
    "match.exact": "matched on the full number",
    "match.key": "matched on the last digits",
    "match.several": "{count} customers share this number",
    "match.none": "no customer has this number",
    "match.failed": "customer lookup unavailable",
    "match.withheld": "cannot look up a withheld number",
    "pop.offline": "Rang while you were disconnected",
    "pop.queue": "Queue {queue}",
    "pop.since": "since {time}",
    "pop.close": "Close card",
    "pop.accepted": "Accepted",
    "ivr.title": "In the IVR",
    "ivr.option": "chose {option}",
    "ivr.digits": "entered {digits}",
    "ivr.account": "account {account}",
    "handoff.from": "Transferred to you by {agent}",
    "handoff.none": "No notes from the previous agent.",
    "customer.vip": "VIP",
    "customer.grade": "Grade {grade}",
    "customer.phones": "Numbers",
    "customer.notes": "Customer notes",
    "segment.most_valuable": "Most valuable",
    "segment.most_growable": "Most growable",
    "segment.standard": "Standard",
    "segment.below_zero": "Below zero",
    "flag.birthday_today": "Birthday today",
    "flag.open_complaint": "Open complaint",
    "flag.churn_risk": "Churn risk",
    "flag.overdue_ticket": "Overdue ticket",
    "why.birthday_today": "It is the customer's birthday today — wish them well.",
    "why.open_complaint": "An open complaint: {subject}",
    "why.churn_risk": "Two or more complaints in 90 days, or a ticket past its due time: handle with care.",
    "why.overdue_ticket": "Ticket #{id} is overdue by {late}.",
    "tickets.title": "Open tickets",
    "tickets.none": "No open tickets.",
    "tickets.due_in": "due in {time}",
    "tickets.overdue_by": "overdue by {time}",
    "tickets.no_due": "no due time",
    "kind.inquiry": "Inquiry",
    "kind.service": "Service request",
    "kind.complaint": "Complaint",
    "tstatus.open": "open",
    "tstatus.in_progress": "in progress",
    "tstatus.waiting_customer": "waiting for customer",
    "tstatus.resolved": "resolved",
    "tstatus.closed": "closed",
    "timeline.title": "Last contacts",
    "timeline.none": "No earlier contacts.",
    "timeline.call": "Call",
    "timeline.ticket": "Ticket",
    "timeline.note": "Note",
    "timeline.nobody": "nobody",
    "outcome.answered": "answered",
    "outcome.missed": "missed",
    "outcome.abandoned": "abandoned",
    "outcome.in_progress": "in progress",
    "dial.customer": "Call back",
    "dial.number": "Call {number}",
    "dial.started": "Calling {number}… your phone rings first.",
    "unknown.title": "Unknown caller",
    "unknown.several": "Several customers have this number — who is calling?",
    "unknown.pick": "This is the caller",
    "unknown.create": "Create customer",
    "unknown.change": "Not this customer?",
    "form.outcome": "Outcome",
    "form.outcome_pick": "Choose an outcome…",
    "form.needs_note": "(needs a note)",
    "form.outcome_notes": "Outcome notes",
    "form.save_outcome": "Save outcome",
    "form.note": "Note on the customer",
    "form.add_note": "Add note",
    "form.ticket": "New service request or complaint",
    "form.ticket_kind": "Type",
    "form.priority": "Priority",
    "form.subject": "Subject",
    "form.description": "Description",
    "form.open_ticket": "Open ticket",
    "form.edit": "Edit details",
    "form.save_details": "Save details",
    "form.name": "Name",
    "form.company": "Company",
    "form.email": "Email",
    "form.birthday": "Birthday",
    "form.region": "Region",
    "form.grade": "Grade",
    "form.segment": "Segment",
    "form.phones": "Phone numbers (separate with ;)",
    "form.customer_notes": "Customer notes",
    "form.create": "Create customer",
    "prio.low": "Low",
    "prio.normal": "Normal",
    "prio.high": "High",
    "prio.urgent": "Urgent",
    "form.saving": "saving…",
    "form.saved": "saved",
    "form.saved_elsewhere": "saved in another tab",
    "form.note_required": "This outcome needs a note.",
    "ticket.subject_from_call": "Call from {number} on {time}",
    "ticket.description_from_call": "Opened from call {call} ({queue}).",
    "keys.title": "Keyboard shortcuts",
    "keys.accept": "Alt+A — accept the newest ringing call (shows its card)",
    "keys.disposition": "Alt+D — outcome of the newest call",
    "keys.notes": "Alt+N — note on the newest call's customer",
    "keys.ready": "Alt+R — ready (available) after wrap-up",
    "keys.dial": "Alt+C — dial box",
    "notify.title": "Call from {who}",
  },
  "zh-CN": {
    "app.title": "坐席工作台",
    "login.title": "登录",
    "login.username": "用户名",
    "login.password": "密码",
    "login.submit": "登录",
    "bar.logout": "退出登录",
    "bar.status": "我的状态",
    "bar.language": "语言",
    "bar.notify": "桌面通知",
    "bar.sound": "提示音",
    "bar.ready": "就绪",
    "bar.dial": "拨打号码",
    "bar.dial_button": "拨打",
    "bar.shortcuts": "键盘快捷键",
    "status.available": "空闲",
    "status.away": "离开",
    "status.wrap_up": "话后处理",
    "status.offline": "离线",
    "wrap.timer": "话后处理 {time}",
    "link.connecting": "正在连接…",
    "link.up": "已连接",
    "link.down": "已断开",
    "banner.down": "连接已断开，正在重新连接……期间来电将在恢复后显示。",
    "desk.idle": "等待来电……",
    "desk.calls": "来电",
    "state.ringing": "振铃中",
    "state.answered": "通话中",
    "state.missed": "未接",
    "state.ended": "已结束",
    "state.abandoned": "来电者已挂断",
    "state.transferred_away": "已转出",
    "reason.answered_elsewhere": "已由同事接听",
    "reason.caller_hangup": "来电者挂断",
    "reason.no_answer": "振铃超时未接",
    "reason.picked_up": "已由同事代接",
    "alert.ticket_overdue": "工单 #{id}“{subject}”已逾期。",
    "alert.ticket_due_soon": "工单 #{id}“{subject}”即将到期。",
    "alert.dismiss": "关闭",
    "dir.inbound": "呼入",
    "dir.outbound": "呼出",
    "caller.withheld": "号码已隐藏",
    "match.exact": "按完整号码匹配",
    "match.key": "按号码尾数匹配",
    "match.several": "{count} 位客户共用此号码",
    "match.none": "没有客户使用此号码",
    "match.failed": "客户查询暂不可用",
    "match.withheld": "隐藏号码无法查询",
    "pop.offline": "断线期间的来电",
    "pop.queue": "队列 {queue}",
    "pop.since": "开始于 {time}",
    "pop.close": "关闭卡片",
    "pop.accepted": "已受理",
    "ivr.title": "语音导航中",
    "ivr.option": "选择了 {option}",
    "ivr.digits": "输入了 {digits}",
    "ivr.account": "账户 {account}",
    "handoff.from": "由 {agent} 转接给您",
    "handoff.none": "上一位坐席没有留下备注。",
    "customer.vip": "贵宾",
    "customer.grade": "{grade} 级",
    "customer.phones": "号码",
    "customer.notes": "客户备注",
    "segment.most_valuable": "最有价值",
    "segment.most_growable": "最具成长性",
    "segment.standard": "普通",
    "segment.below_zero": "负价值",
    "flag.birthday_today": "今天生日",
    "flag.open_complaint": "有未结投诉",
    "flag.churn_risk": "流失风险",
    "flag.overdue_ticket": "工单已逾期",
    "why.birthday_today": "今天是客户的生日，请送上祝福。",
    "why.open_complaint": "未结投诉：{subject}",
    "why.churn_risk": "90 天内投诉两次以上，或有工单已超过期限：请谨慎处理。",
    "why.overdue_ticket": "工单 #{id} 已逾期 {late}。",
    "tickets.title": "未结工单",
    "tickets.none": "没有未结工单。",
    "tickets.due_in": "{time}后到期",
    "tickets.overdue_by": "已逾期 {time}",
    "tickets.no_due": "无期限",
    "kind.inquiry": "咨询",
    "kind.service": "服务请求",
    "kind.complaint": "投诉",
    "tstatus.open": "待处理",
    "tstatus.in_progress": "处理中",
    "tstatus.waiting_customer": "等待客户",
    "tstatus.resolved": "已解决",
    "tstatus.closed": "已关闭",
    "timeline.title": "最近联系",
    "timeline.none": "没有更早的联系记录。",
    "timeline.call": "通话",
    "timeline.ticket": "工单",
    "timeline.note": "备注",
    "timeline.nobody": "无人",
    "outcome.answered": "已接听",
    "outcome.missed": "未接",
    "outcome.abandoned": "放弃",
    "outcome.in_progress": "进行中",
    "dial.customer": "回拨",
    "dial.number": "拨打 {number}",
    "dial.started": "正在拨打 {number}……您的话机会先振铃。",
    "unknown.title": "未知来电",
    "unknown.several": "多位客户使用此号码——是谁来电？",
    "unknown.pick": "就是此客户",
    "unknown.create": "新建客户",
    "unknown.change": "不是此客户？",
    "form.outcome": "处理结果",
    "form.outcome_pick": "请选择处理结果……",
    "form.needs_note": "（需填写备注）",
    "form.outcome_notes": "结果备注",
    "form.save_outcome": "保存结果",
    "form.note": "客户备注",
    "form.add_note": "添加备注",
    "form.ticket": "新建服务请求或投诉",
    "form.ticket_kind": "类型",
    "form.priority": "优先级",
    "form.subject": "主题",
    "form.description": "描述",
    "form.open_ticket": "创建工单",
    "form.edit": "编辑资料",
    "form.save_details": "保存资料",
    "form.name": "姓名",
    "form.company": "公司",
    "form.email": "电子邮件",
    "form.birthday": "生日",
    "form.region": "地区",
    "form.grade": "等级",
    "form.segment": "价值分群",
    "form.phones": "电话号码（用 ; 分隔）",
    "form.customer_notes": "客户备注",
    "form.create": "新建客户",
    "prio.low": "低",
    "prio.normal": "普通",
    "prio.high": "高",
    "prio.urgent": "紧急",
    "form.saving": "保存中……",
    "form.saved": "已保存",
    "form.saved_elsewhere": "已在另一个标签页保存",
    "form.note_required": "此处理结果需要填写备注。",
    "ticket.subject_from_call": "{time} 来自 {number} 的来电",
    "ticket.description_from_call": "由通话 {call}（{queue}）创建。",
    "keys.title": "键盘快捷键",
    "keys.accept": "Alt+A — 受理最新的振铃来电（显示其卡片）",
    "keys.disposition": "Alt+D — 最新来电的处理结果",
    "keys.notes": "Alt+N — 为最新来电的客户添加备注",
    "keys.ready": "Alt+R — 话后处理结束，转为就绪",
    "keys.dial": "Alt+C — 拨号框",
    "notify.title": "{who} 来电",
  },
};

// Disposition labels come from the settings in English; known codes are translated here.
const DISPOSITIONS_ZH = {
  resolved: "通话中已解决",
  follow_up: "需要跟进",
  complaint: "已登记投诉",
  sale: "销售 / 升级",
  info: "已提供信息",
  wrong_number: "打错电话",
};

export const LANGUAGES = { en: "English", "zh-CN": "简体中文" };

let locale = "en";

export function setLocale(language) {
  // Agents may be stored as "zh", "zh-CN" or "zh-Hans": all get Simplified Chinese.
  const wanted = String(language || "").toLowerCase().startsWith("zh") ? "zh-CN" : language;
  locale = wanted in MESSAGES ? wanted : "en";
  document.documentElement.lang = locale;
  return locale;
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
