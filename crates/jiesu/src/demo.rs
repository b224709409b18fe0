//! The demo loaded on first `serve`: a user for every role, tickets in every status, and a
//! knowledge base with an IVR menu.
//!
//! Every demo ticket is made the way a real one is: by commands through the core decider, so
//! its events are a true history.

use crate::setup::add_user;
use anyhow::Context;
use chrono::{Duration, Utc};
use jiesu_core::{
    Actor, Caller, Channel, Command, Directory, Intake, MemoryDirectory, ReplyOutcome,
    ReviewDecision, Role, Satisfaction, TicketId, Urgency, execute,
};
use jiesu_store::{DynStore, NewTicket};

/// Password of every demo user.
pub const DEMO_PASSWORD: &str = "jiesu-demo";

/// Demo users: (name, role, unit).
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("agent1", Role::Agent, None),
    ("dispatcher1", Role::Dispatcher, None),
    ("supervisor1", Role::Supervisor, None),
    ("editor1", Role::Editor, None),
    ("analyst1", Role::Analyst, None),
    ("cgw1", Role::Unit, Some("cgw")),
    ("beixiaguan1", Role::Unit, Some("110108007")),
    ("heat1", Role::Unit, Some("heat")),
    ("water1", Role::Unit, Some("water")),
];

struct Story {
    title: &'static str,
    content: &'static str,
    caller: (&'static str, &'static str),
    street: &'static str,
    urgency: Urgency,
    steps: Vec<(&'static str, Command)>,
}

fn dispatch(unit: &str) -> Command {
    Command::Dispatch {
        lead_unit: unit.into(),
        assisting_units: vec![],
        note: None,
        routing: None,
    }
}

fn reply(text: &str) -> Command {
    Command::Reply {
        outcome: ReplyOutcome::Solved,
        text: text.into(),
    }
}

fn callback(resolved: bool, satisfaction: Satisfaction) -> Command {
    Command::Callback {
        reached: true,
        resolved: Some(resolved),
        satisfaction: Some(satisfaction),
        note: None,
    }
}

fn stories() -> Vec<Story> {
    use Command::*;
    let s = |title, content, caller, street, steps| Story {
        title,
        content,
        caller,
        street,
        urgency: Urgency::Normal,
        steps,
    };
    vec![
        s("路灯不亮", "北下关街道大柳树路口路灯连续三晚不亮，晚上走路看不清，老人容易摔倒。", ("王女士", "13811112222"), "110108007", vec![]),
        s("咨询居住证办理", "想问一下在海淀区办理居住证需要哪些材料，在哪里办。", ("李先生", "13922223333"), "110108007", vec![
            ("agent1", Answer { entry_id: None, entry_version: None, text: "持身份证、居住登记卡和住所证明到居住地派出所办理，也可在北京通APP线上申请。".into() }),
        ]),
        s("小区门口占道经营", "小区南门每天傍晚有流动摊贩占道经营，堵塞消防通道。", ("赵先生", "13633334444"), "110108007", vec![
            ("dispatcher1", dispatch("cgw")),
        ]),
        s("暖气不热", "家里暖气温度只有十四度，老人孩子受不了，请热力公司尽快检修。", ("孙女士", "13544445555"), "110108007", vec![
            ("dispatcher1", dispatch("cgw")),
            ("cgw1", Return { reason: "供热问题属热力集团职责，不属于城管委".into() }),
        ]),
        s("路面塌陷", "学院南路辅路有一处路面塌陷，约一米见方，车辆绕行危险。", ("周先生", "13755556666"), "110108007", vec![
            ("dispatcher1", dispatch("cgw")),
            ("cgw1", Acknowledge),
        ]),
        s("楼道堆放杂物", "单元楼道里堆满旧家具和纸箱，存在火灾隐患。", ("吴女士", "13866667777"), "110108007", vec![
            ("dispatcher1", dispatch("110108007")),
            ("beixiaguan1", Acknowledge),
            ("beixiaguan1", RequestExtension { days: 3, reason: "需联系物业和业主共同清理".into() }),
        ]),
        s("自来水发黄", "今天早上开始家里自来水发黄，有异味，不敢饮用。", ("郑先生", "13977778888"), "110108007", vec![
            ("dispatcher1", dispatch("water")),
            ("water1", Acknowledge),
            ("water1", reply("已对小区二次供水水箱清洗消毒，水质检测合格。")),
        ]),
        s("井盖缺失", "大钟寺东路人行道上一个井盖缺失，晚上非常危险。", ("冯女士", "13688889999"), "110108007", vec![
            ("dispatcher1", dispatch("cgw")),
            ("cgw1", Acknowledge),
            ("cgw1", reply("已安排养护单位补装井盖并设置警示。")),
            ("agent1", callback(true, Satisfaction::Satisfied)),
        ]),
        s("垃圾清运不及时", "小区垃圾桶已经满了两天没人清运，气味很大。", ("陈先生", "13599990000"), "110108007", vec![
            ("dispatcher1", dispatch("110108007")),
            ("beixiaguan1", Acknowledge),
            ("beixiaguan1", reply("已通知环卫公司清运。")),
            ("agent1", callback(false, Satisfaction::Unsatisfied)),
        ]),
        s("暖气不热", "同一小区暖气不热，室温只有十五度。", ("褚女士", "13700001111"), "110108007", vec![
            ("dispatcher1", Merge { master_id: TicketId(String::new()), master_status: jiesu_core::Status::Received }),
        ]),
        s("燃气味道很重", "楼道里燃气味道很重，担心泄漏，请马上派人来。", ("卫先生", "13800002222"), "110108007", vec![
            ("agent1", Escalate { reason: "疑似燃气泄漏，涉及生命安全".into() }),
            ("dispatcher1", dispatch("cgw")),
            ("supervisor1", Supervise { note: Some("请立即处置并反馈".into()) }),
        ]),
        s("噪音扰民", "夜间施工噪音扰民，晚上十一点后仍在施工。", ("蒋女士", "13911113333"), "110108007", vec![
            ("dispatcher1", dispatch("cgw")),
            ("cgw1", Return { reason: "该工地属区住建委监管".into() }),
            ("dispatcher1", Review { decision: ReviewDecision::Refuse, redispatch_to: None, assisting_units: vec![], flag_rule: false, routing: None, note: Some("夜间施工噪音属城管执法职责清单".into()) }),
        ]),
    ]
}

/// Loads the demo users and tickets.
pub async fn load(store: &DynStore) -> anyhow::Result<()> {
    for (name, role, unit) in USERS {
        add_user(store.as_ref(), name, *role, *unit, DEMO_PASSWORD)
            .await
            .with_context(|| format!("demo user {name}"))?;
    }
    crate::knowledge::load_demo(store)
        .await
        .context("demo knowledge base")?;
    let reference = store.reference().await?;
    let dir = MemoryDirectory::new(reference.units, reference.catalog, reference.divisions)
        .with_time_limits(
            jiesu_core::timelimit::PolicySet::defaults(),
            jiesu_core::calendar::WorkingCalendar::china(),
        );
    let stories = stories();
    let mut at = Utc::now() - Duration::hours(6 * stories.len() as i64);
    let mut master: Option<(TicketId, jiesu_core::Status)> = None;
    for story in stories {
        let street = dir.division(story.street).map(|d| d.code.clone());
        let intake = Intake {
            channel: Channel::Phone,
            title: Some(story.title.into()),
            content: story.content.into(),
            caller: Caller {
                name: story.caller.0.into(),
                phone: story.caller.1.into(),
            },
            address: Some("海淀区北下关街道".into()),
            district_code: None,
            street_code: street,
            category_code: None,
            urgency: story.urgency,
            confidential: false,
            external_ref: None,
        }
        .validate(&dir)
        .map_err(|e| anyhow::anyhow!("demo intake: {e}"))?;
        let created = store
            .create_tickets(vec![NewTicket {
                id: TicketId(uuid::Uuid::now_v7().to_string()),
                intake,
                actor: Actor::new("agent1", Role::Agent),
                received_at: at,
                idempotency_key: None,
                proposal: None,
            }])
            .await?;
        let mut ticket = created
            .into_iter()
            .next()
            .context("demo ticket not created")?
            .ticket;
        if story.title == "暖气不热" && master.is_none() {
            master = Some((ticket.id.clone(), ticket.status));
        }
        for (user, command) in story.steps {
            at += Duration::minutes(17);
            let (_, role, unit) = USERS
                .iter()
                .find(|(n, _, _)| *n == user)
                .context("demo user")?;
            let actor = Actor {
                name: user.into(),
                role: *role,
                unit: unit.map(String::from),
            };
            let command = match (command, &master) {
                (Command::Merge { .. }, Some((id, status))) => Command::Merge {
                    master_id: id.clone(),
                    master_status: *status,
                },
                (c, _) => c,
            };
            let (records, next) = execute(Some(&ticket), &command, &actor, at, &dir)
                .map_err(|e| anyhow::anyhow!("demo step {user} {:?}: {e}", command.kind()))?;
            store.append(ticket.version, &records, &next).await?;
            ticket = next;
        }
        at += Duration::hours(5);
    }
    tracing::info!(
        "demo loaded: users {} (password {DEMO_PASSWORD}), tickets in every status",
        USERS.iter().map(|u| u.0).collect::<Vec<_>>().join(", ")
    );
    Ok(())
}
