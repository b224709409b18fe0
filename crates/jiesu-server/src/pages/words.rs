//! The words of the centre's work pages (dashboard, dispatcher, supervisor, knowledge-base
//! editor) in Chinese first and English, looked up with the rest of the pages' words by
//! [`super::i18n::tr`]. The scripts carry the words they write themselves.

/// (key, 中文, English).
pub const WORDS: &[(&str, &str, &str)] = &[
    // Dashboard.
    ("dash.title", "数据大屏", "Dashboard"),
    ("dash.bigscreen", "大屏模式", "Wall screen"),
    ("dash.volume", "受理量", "Requests received"),
    ("dash.range", "时间范围", "Time range"),
    ("dash.range.hour", "近24小时", "Last 24 hours"),
    ("dash.range.day", "近30天", "Last 30 days"),
    ("dash.alerts", "激增预警", "Spike alerts"),
    ("dash.live", "实时", "live"),
    ("dash.hot", "热点诉求", "Hot topics"),
    ("dash.window", "统计时段", "Window"),
    ("dash.window.hour", "上一小时", "Last hour"),
    ("dash.window.day", "昨日", "Yesterday"),
    ("dash.window.week", "上周", "Last week"),
    ("dash.terms", "热词", "Hot words"),
    ("dash.map", "各区受理量", "Volume by district"),
    (
        "dash.ranking",
        "街乡镇受理量排名",
        "Streets and towns by volume",
    ),
    // Dispatcher.
    ("dispatch.title", "派单", "Dispatch"),
    ("dispatch.queue", "待派单", "Waiting for dispatch"),
    ("dispatch.returns", "退单审核", "Returns to review"),
    // Supervisor.
    ("supervise.title", "督办", "Supervision"),
    ("supervise.overdue", "超期", "Overdue"),
    (
        "supervise.reopened",
        "重办（回访未解决）",
        "Reopened (unresolved at callback)",
    ),
    ("supervise.extensions", "延期申请", "Extension requests"),
    // Knowledge-base editor.
    ("kb.title", "知识库管理", "Knowledge base"),
    ("kb.entries", "条目", "Entries"),
    ("kb.missing", "缺失口径", "Missing answers"),
    ("kb.search", "搜索条目", "Search entries"),
    ("kb.status", "状态", "Status"),
    ("kb.status.all", "全部", "All"),
    ("kb.status.draft", "草稿", "Draft"),
    ("kb.status.active", "生效", "Active"),
    ("kb.status.retired", "已停用", "Retired"),
    ("kb.new", "新建条目", "New entry"),
];

#[cfg(test)]
mod tests {
    use super::super::i18n::{Lang, TABLE, tr};
    use super::WORDS;

    #[test]
    fn every_word_is_translated_and_no_key_clashes_with_the_main_table() {
        let mut seen = std::collections::HashSet::new();
        for (key, zh, en) in TABLE.iter().chain(WORDS) {
            assert!(seen.insert(key), "{key} twice");
            assert!(!zh.is_empty() && !en.is_empty(), "{key} untranslated");
        }
        assert_eq!(tr(Lang::Zh, "dash.title"), "数据大屏");
        assert_eq!(tr(Lang::En, "kb.new"), "New entry");
    }
}
