//! The pages' words in Chinese (zh-CN, first) and English: one table, looked up by key.
//!
//! Add a row to [`TABLE`] for every new label; a missing key shows as "?" and is logged, and
//! the unit test checks every key is translated.

/// The language a page is shown in, kept in the `jiesu_lang` cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    /// 简体中文, the default.
    #[default]
    Zh,
    /// English.
    En,
}

impl Lang {
    /// The cookie value and the `lang` attribute: `zh-CN` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The language from a cookie value; Chinese unless it says English.
    pub fn parse(value: Option<&str>) -> Lang {
        match value {
            Some(v) if v.eq_ignore_ascii_case("en") => Lang::En,
            _ => Lang::Zh,
        }
    }

    /// The other language, offered by the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The name of the language in itself, for the switch.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

/// (key, 中文, English).
pub const TABLE: &[(&str, &str, &str)] = &[
    ("app.name", "12345 接诉即办", "12345 Citizen Hotline"),
    ("skip", "跳到正文", "Skip to content"),
    ("nav", "页面导航", "Pages"),
    ("nav.ask", "我要反映", "Make a request"),
    ("nav.track", "查询进度", "Track a request"),
    ("nav.agent", "坐席工作台", "Agent workstation"),
    ("nav.dispatch", "派单", "Dispatch"),
    ("nav.supervise", "督办", "Supervision"),
    ("nav.unit", "单位工单", "Unit inbox"),
    ("nav.dashboard", "数据大屏", "Dashboard"),
    ("nav.knowledge", "知识库", "Knowledge base"),
    ("nav.reports", "报表", "Reports"),
    ("reports.title", "报表", "Reports"),
    (
        "reports.hourly",
        "整点热点报告（上一小时）",
        "Hourly hot topics (last hour)",
    ),
    ("reports.daily", "日报", "Daily report"),
    (
        "reports.ranking",
        "街乡镇月度排名",
        "Monthly street ranking",
    ),
    ("reports.special", "专报", "Special report"),
    (
        "reports.term",
        "话题词（空则取最多的类别）",
        "Topic term (blank: the top category)",
    ),
    ("reports.from", "起始日期", "From"),
    ("reports.to", "截止日期", "To"),
    ("reports.open", "打开", "Open"),
    ("signin", "登录", "Sign in"),
    ("signout", "退出", "Sign out"),
    ("signin.title", "工作人员登录", "Staff sign-in"),
    ("signin.name", "用户名", "User name"),
    ("signin.password", "密码", "Password"),
    (
        "signin.wrong",
        "用户名或密码不正确",
        "Wrong name or password",
    ),
    ("role.agent", "话务员", "Agent"),
    ("role.dispatcher", "派单员", "Dispatcher"),
    ("role.unit", "承办单位", "Handling unit"),
    ("role.supervisor", "督办", "Supervisor"),
    ("role.editor", "知识库管理员", "Editor"),
    ("role.analyst", "分析员", "Analyst"),
    ("role.admin", "管理员", "Administrator"),
    ("forbidden.title", "无权访问", "Not allowed"),
    (
        "forbidden.text",
        "您的角色不能打开这个页面。",
        "Your role may not open this page.",
    ),
    ("notfound.title", "页面不存在", "Page not found"),
    (
        "notfound.text",
        "没有找到这个页面。",
        "There is no page at this address.",
    ),
    ("error.title", "出错了", "Something went wrong"),
    (
        "error.text",
        "服务器出错，请稍后再试。",
        "The server failed; please try again later.",
    ),
    ("home", "返回首页", "Back to the start"),
    // Citizen form.
    ("ask.title", "我要反映问题", "Tell us about a problem"),
    (
        "ask.intro",
        "请用几句话说清楚什么问题、在哪里。我们会转给负责的单位，并告诉您工单号。",
        "Say in a few sentences what the problem is and where. We send it to the unit responsible and give you an order number.",
    ),
    ("ask.step1", "第1步：什么问题", "Step 1: the problem"),
    ("ask.step2", "第2步：在哪里", "Step 2: where"),
    ("ask.step3", "第3步：怎么联系您", "Step 3: how to reach you"),
    ("ask.content", "问题描述", "What happened"),
    (
        "ask.content.hint",
        "例如：小区门口路灯连续三晚不亮",
        "For example: the street light at our gate has been out for three nights",
    ),
    ("ask.district", "区", "District"),
    ("ask.street", "街道（乡镇）", "Street (town)"),
    (
        "ask.street.search",
        "按名称查找街道",
        "Find a street by name",
    ),
    ("ask.choose", "请选择", "Choose"),
    (
        "ask.unknown",
        "不清楚，我直接填写地址",
        "I don't know: I'll type the address",
    ),
    ("ask.address", "详细地址", "Address"),
    (
        "ask.address.hint",
        "例如：海淀区大柳树路口",
        "For example: Daliushu crossing, Haidian",
    ),
    ("ask.name", "您的称呼（可不填）", "Your name (optional)"),
    ("ask.phone", "手机号", "Mobile number"),
    (
        "ask.phone.hint",
        "用于查询进度和回访",
        "To follow the request and to call you back",
    ),
    ("ask.next", "下一步", "Next"),
    ("ask.back", "上一步", "Back"),
    ("ask.submit", "提交", "Send"),
    ("ask.done", "已收到您的诉求", "We have your request"),
    ("ask.number", "工单号", "Order number"),
    (
        "ask.keep",
        "请记下工单号，用它和手机号查询办理进度。",
        "Keep this number: with your phone it lets you follow the request.",
    ),
    ("ask.error", "请检查", "Please check"),
    (
        "ask.content.short",
        "请至少写五个字，说清楚什么问题",
        "Please write at least five characters about the problem",
    ),
    ("ask.track", "查询这张工单的进度", "Follow this request"),
    ("ask.another", "再反映一个问题", "Make another request"),
    // Tracking.
    ("track.title", "查询办理进度", "Follow a request"),
    ("track.go", "查询", "Look up"),
    (
        "track.none",
        "没有找到：请核对工单号和手机号。",
        "Not found: check the number and the phone.",
    ),
    ("track.status", "当前状态", "Status"),
    ("track.history", "办理经过", "History"),
    ("track.reply", "办理结果", "Reply"),
    // Agent.
    ("agent.title", "坐席工作台", "Agent workstation"),
    ("agent.call", "来电", "Incoming call"),
    ("agent.caller", "来电号码", "Caller's number"),
    ("agent.past", "历史工单", "Past orders"),
    ("agent.nopast", "没有历史工单", "No past orders"),
    ("agent.search", "知识库", "Knowledge base"),
    (
        "agent.search.hint",
        "输入关键词搜索（按 / 聚焦）",
        "Type to search (press / to focus)",
    ),
    ("agent.readout", "答复口径", "Answer to read out"),
    ("agent.answered", "已解答", "Answered"),
    (
        "agent.answered.done",
        "已记录直接答复",
        "Recorded as answered",
    ),
    ("agent.order", "登记工单", "Record an order"),
    ("agent.assist", "智能助手", "Smart assistant"),
    ("agent.reasons", "依据", "Because of"),
    ("agent.title.field", "标题", "Title"),
    ("agent.urgency", "紧急程度", "Urgency"),
    ("agent.category", "分类", "Category"),
    ("agent.save", "保存工单", "Save the order"),
    ("agent.saved", "工单已登记", "Order recorded"),
    ("agent.notices", "实时通知", "Live notices"),
    ("agent.keys", "快捷键", "Keyboard shortcuts"),
    (
        "agent.key.search",
        "聚焦知识库搜索",
        "Focus the knowledge search",
    ),
    ("agent.key.pick", "选择第1–9条结果", "Pick result 1–9"),
    (
        "agent.key.answer",
        "已解答（引用所选条目）",
        "Answered (cite the entry)",
    ),
    ("agent.key.submit", "保存工单", "Save the order"),
    ("agent.key.assist", "智能助手分析", "Ask the assistant"),
    ("agent.take", "接听", "Take the call"),
    ("agent.noresults", "没有找到相关条目", "No entry found"),
    ("agent.missing", "报告知识缺失", "Report the missing answer"),
    ("agent.pick", "请先选择一条知识", "Pick an entry first"),
    ("agent.name", "来电人称呼", "Caller's name"),
    ("agent.content", "诉求内容", "What the caller asks"),
    ("agent.urgent", "紧急", "Urgent"),
    ("agent.normal", "一般", "Normal"),
    ("agent.none", "（无）", "(none)"),
    ("agent.waiting", "等待通知…", "Waiting for notices…"),
    // Unit inbox.
    ("unit.title", "单位工单", "Unit inbox"),
    ("unit.empty", "没有待办工单", "No orders to handle"),
    ("unit.deadline", "办结时限", "Deadline"),
    ("unit.ontime", "正常", "On time"),
    ("unit.warned", "预警", "Warned"),
    ("unit.overdue", "超期", "Overdue"),
    ("unit.acknowledge", "签收", "Acknowledge"),
    ("unit.return", "退回", "Return"),
    ("unit.return.reason", "退回理由", "Reason for returning"),
    ("unit.extension", "申请延期", "Ask for an extension"),
    ("unit.extension.days", "延期天数", "Days"),
    (
        "unit.extension.pending",
        "延期申请待审（工作日）",
        "Extension asked (working days)",
    ),
    ("unit.extension.reason", "延期理由", "Reason"),
    ("unit.reply", "回复办理结果", "Reply"),
    ("unit.reply.text", "办理结果", "What was done"),
    ("unit.outcome", "结果", "Outcome"),
    ("unit.phone", "诉求人电话", "Citizen's phone"),
    ("unit.status", "状态", "Status"),
    ("unit.number", "工单号", "Order"),
    ("unit.caller", "诉求人", "Citizen"),
    ("unit.address", "地址", "Address"),
    ("unit.send", "提交", "Send"),
    ("unit.solved", "已解决", "Solved"),
    ("unit.explained", "已解释说明", "Explained"),
    ("unit.unsolvable", "无法解决", "Cannot be solved"),
    ("unit.assisting", "协办", "Assisting"),
    ("unit.count", "件待办", "orders to handle"),
    // Ticket statuses and the events a citizen sees.
    ("status.received", "已受理", "Received"),
    ("status.answered", "已直接答复", "Answered"),
    ("status.dispatched", "已派单", "Sent to the unit"),
    ("status.returned", "退回重派中", "Being re-sent"),
    ("status.in_progress", "办理中", "Being handled"),
    ("status.replied", "已办结，待回访", "Handled, callback due"),
    ("status.reopened", "重新办理", "Handled again"),
    ("status.closed", "已结案", "Closed"),
    (
        "status.merged",
        "已合并办理",
        "Merged with the same request",
    ),
    ("event.received", "受理", "Received"),
    ("event.answered", "直接答复", "Answered"),
    ("event.dispatched", "派单至承办单位", "Sent to the unit"),
    ("event.acknowledged", "承办单位签收", "Accepted by the unit"),
    ("event.returned", "承办单位退回", "Returned by the unit"),
    ("event.extension_granted", "同意延期", "Extension granted"),
    ("event.replied", "承办单位答复", "The unit replied"),
    ("event.callback_recorded", "回访", "Called back"),
    ("event.closed", "结案", "Closed"),
    ("event.reopened", "重新办理", "Handled again"),
    ("event.transferred", "转办", "Moved to another unit"),
    ("event.merged", "合并办理", "Merged"),
];

/// The label `key` in `lang`; "?" (logged) when the table lacks it.
pub fn tr(lang: Lang, key: &str) -> &'static str {
    match TABLE
        .iter()
        .chain(super::words::WORDS)
        .find(|(k, _, _)| *k == key)
    {
        Some((_, zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => {
            tracing::warn!(key, "label missing from the pages' table");
            "?"
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_unique_and_translated() {
        let mut seen = std::collections::HashSet::new();
        for (key, zh, en) in TABLE {
            assert!(seen.insert(key), "{key} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{key} untranslated");
        }
        assert_eq!(tr(Lang::Zh, "signin"), "登录");
        assert_eq!(tr(Lang::Zh, "no.such.key"), "?");
        assert_eq!(tr(Lang::En, "signin"), "Sign in");
    }

    /// Every `t("key")` in the templates and the pages' code is in the table, and every status
    /// a ticket can have has a label.
    #[test]
    fn every_key_used_is_in_the_table() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = Vec::new();
        for dir in ["templates", "src/pages"] {
            for file in std::fs::read_dir(root.join(dir)).unwrap() {
                let text = std::fs::read_to_string(file.unwrap().path()).unwrap();
                for part in text.split("t(\"").skip(1) {
                    if let Some((key, _)) = part.split_once('"')
                        && !key.is_empty()
                        && key != "key"
                        && key
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                    {
                        used.push(key.to_string());
                    }
                }
            }
        }
        assert!(used.len() > 50, "found the keys: {used:?}");
        for status in [
            "received",
            "answered",
            "dispatched",
            "returned",
            "in_progress",
            "replied",
            "reopened",
            "closed",
            "merged",
        ] {
            used.push(format!("status.{status}"));
        }
        let missing: Vec<_> = used
            .iter()
            .filter(|k| {
                !TABLE
                    .iter()
                    .chain(crate::pages::words::WORDS)
                    .any(|(key, _, _)| key == k)
            })
            .collect();
        assert!(
            missing.is_empty(),
            "labels missing from the table: {missing:?}"
        );
    }
}
