"""Word lists the demo data is drawn from: names, companies, places, notes.

Plain data, no logic. US numbers are made from the 555-0100..0199 block, which is reserved
for fiction, so no demo call ever dials a real person; Chinese numbers have no such block
and are random.
"""

# The Chinese text uses full-width punctuation on purpose.
# ruff: noqa: RUF001

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """``"a:b | c:d"`` -> ``(("a", "b"), ("c", "d"))``: long pair lists, kept compact."""
    return tuple((k.strip(), v.strip()) for k, v in (p.split(":") for p in text.split("|")))


EN_FIRST = _words(
    "James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara "
    "Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy Matthew Lisa "
    "Anthony Betty Mark Sandra Donald Ashley Steven Emily Paul Donna Andrew Michelle Joshua "
    "Carol Kevin Amanda Brian Melissa George Deborah Kenneth Stephanie Edward Rebecca"
)
EN_LAST = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell"
)

# (characters, pinyin)
ZH_SURNAMES = _pairs(
    "王:Wang | 李:Li | 张:Zhang | 刘:Liu | 陈:Chen | 杨:Yang | 黄:Huang | 赵:Zhao | 吴:Wu | "
    "周:Zhou | 徐:Xu | 孙:Sun | 马:Ma | 朱:Zhu | 胡:Hu | 郭:Guo | 何:He | 林:Lin | 高:Gao | "
    "罗:Luo"
)
ZH_GIVEN = _pairs(
    "伟:Wei | 芳:Fang | 娜:Na | 敏:Min | 静:Jing | 丽:Li | 强:Qiang | 磊:Lei | 军:Jun | 洋:Yang | "
    "勇:Yong | 艳:Yan | 杰:Jie | 涛:Tao | 明:Ming | 超:Chao | 秀英:Xiuying | 建华:Jianhua | "
    "志强:Zhiqiang | 海燕:Haiyan | 晓东:Xiaodong | 丹:Dan | 鹏:Peng | 婷:Ting"
)

EN_COMPANIES = (
    "Northwind Traders",
    "Contoso Ltd",
    "Fabrikam Inc",
    "Blue Harbor Logistics",
    "Summit Dental Group",
    "Riverside Realty",
    "Pinecrest Insurance",
    "Golden Gate Bakery",
    "Lakeshore Auto Repair",
    "Maple Street Pharmacy",
    "Ironwood Construction",
    "Brightside Solar",
    "Redwood Capital",
    "Harbor View Hotel",
    "Evergreen Landscaping",
    "Atlas Freight",
    "Cedar Point Clinic",
    "Silverline Media",
    "Keystone Plumbing",
    "Oak & Ash Furniture",
)
ZH_COMPANIES = (
    "北京华信科技有限公司",
    "上海东方贸易有限公司",
    "广州南方电子有限公司",
    "深圳前海创新科技有限公司",
    "杭州西湖茶业有限公司",
    "成都天府物流有限公司",
    "北京长城建设集团",
    "上海浦江餐饮管理有限公司",
    "广州珠江医疗器械有限公司",
    "深圳鹏程电器有限公司",
)

# US area code and the state it is in.
US_AREAS = _pairs(
    "212:New York | 646:New York | 415:California | 213:California | 312:Illinois | "
    "713:Texas | 214:Texas | 206:Washington | 617:Massachusetts | 305:Florida | "
    "404:Georgia | 303:Colorado"
)
# Chinese trunk code (without the 0) and city; local numbers there have 8 digits.
CN_AREAS = _pairs("10:北京 | 21:上海 | 20:广州 | 755:深圳 | 571:杭州 | 28:成都")
CN_MOBILE_PREFIXES = ("138", "139", "135", "136", "186", "158", "177", "189")

CUSTOMER_NOTES_EN = (
    "",
    "",
    "",
    "Prefers email for quotes.",
    "Call after 2pm.",
    "Hard of hearing, speak slowly.",
    "Pays by invoice, net 30.",
    "Renewal due next quarter.",
    "Asked not to be called on weekends.",
)
CUSTOMER_NOTES_ZH = (
    "",
    "",
    "",
    "喜欢下午联系。",
    "请用普通话沟通。",
    "发票寄到公司地址。",
    "周末不要来电。",
)

# What agents write after a call, per disposition code.
CALL_NOTES_EN = {
    "resolved": (
        "Reset the router remotely, working again.",
        "Explained the new bill, customer satisfied.",
        "Updated delivery address.",
    ),
    "follow_up": (
        "Needs a technician visit, ticket opened.",
        "Waiting for the warehouse, will call back.",
        "Sent the form by email, follow up Friday.",
    ),
    "complaint": (
        "Unhappy with the delay, escalated.",
        "Charged twice this month, wants a refund.",
        "Technician did not show up.",
    ),
    "sale": (
        "Upgraded to the premium plan.",
        "Ordered two extra handsets.",
        "Renewed the contract for 24 months.",
    ),
    "info": (
        "Asked about opening hours.",
        "Wanted the status of the order.",
        "Asked how to read the meter.",
    ),
    "wrong_number": ("Wrong number, meant to call the pharmacy.", "Caller dialled us by mistake."),
}
CALL_NOTES_ZH = {
    "resolved": ("远程重启路由器，已恢复。", "解释了新账单，客户满意。", "已更新送货地址。"),
    "follow_up": ("需要上门维修，已建工单。", "等仓库回复后回电。", "已发邮件表格，周五跟进。"),
    "complaint": ("对延误不满，已升级。", "本月重复扣费，要求退款。", "维修人员没有按时上门。"),
    "sale": ("升级到高级套餐。", "加购两部话机。", "续约24个月。"),
    "info": ("询问营业时间。", "查询订单状态。", "询问如何读电表。"),
    "wrong_number": ("打错电话了。",),
}

# (kind, subject) for tickets opened after a call, in English and Chinese.
TICKET_SUBJECTS_EN = {
    "service": (
        "Technician visit: no dial tone",
        "Replace faulty handset",
        "Move line to new address",
    ),
    "inquiry": (
        "Send copy of last three invoices",
        "Quote for ten extra lines",
        "Confirm contract end date",
    ),
    "complaint": (
        "Billed twice for October",
        "Missed technician appointment",
        "Rude reply from the shop",
    ),
}
TICKET_SUBJECTS_ZH = {
    "service": ("上门维修：电话无拨号音", "更换故障话机", "线路移机到新地址"),
    "inquiry": ("补寄近三个月发票", "新增十条线路报价", "确认合同到期日"),
    "complaint": ("十月重复扣费", "维修人员爽约", "门店服务态度差"),
}
REPAIR_COMMENT_ZH = "已联系维修队，等待排期。"
