//! `tawasul demo-data`: a realistic, clearly marked, reproducible corpus in X API v2 format
//! (twarc2 pages) for the registry's accounts — official posts of every post type, the
//! president's posts and their retweets, citizens' questions, complaints, requests and thanks in
//! Egyptian Arabic, and answers with a different responsiveness for each account.
//!
//! Every generated user says in its profile that it is demo data, and `tawasul demo` marks the
//! store so every report says it too.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use serde_json::{json, Value};
use tawasul_core::{BusinessCalendar, Registry};

use crate::bench_import::{rfc3339, Rng};

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
const DAY: i64 = 86_400_000;

/// How an account behaves: posts a day, share of citizens answered, how fast, when.
#[derive(Clone, Copy)]
struct Profile {
    posts_per_day: f64,
    answer_share: f64,
    /// Median delay of an answer, minutes.
    median_delay_min: f64,
    /// Answers only in office hours (the delay then waits for the next opening).
    office_hours_only: bool,
    president_retweet_share: f64,
    restricted_share: f64,
    followers: u64,
}

fn profile(handle: &str) -> Profile {
    let p = |posts, answer, delay, office, rt, restricted, followers| Profile {
        posts_per_day: posts,
        answer_share: answer,
        median_delay_min: delay,
        office_hours_only: office,
        president_retweet_share: rt,
        restricted_share: restricted,
        followers,
    };
    match handle.to_ascii_lowercase().as_str() {
        "mohpegypt" => p(9.0, 0.62, 45.0, false, 0.3, 0.0, 2_400_000),
        "mcit_news" => p(5.0, 0.41, 180.0, true, 0.5, 0.0, 410_000),
        "moiegy" => p(11.0, 0.18, 600.0, true, 0.6, 0.1, 5_100_000),
        "cabinetegy" => p(8.0, 0.05, 1440.0, true, 0.8, 0.3, 3_300_000),
        "mofegypt" => p(4.0, 0.28, 240.0, true, 0.4, 0.0, 690_000),
        "trade_industry" => p(3.0, 0.10, 900.0, true, 0.5, 0.0, 180_000),
        "awkafonline" => p(7.0, 0.02, 2000.0, true, 0.6, 0.5, 1_200_000),
        "moicegypt" => p(4.0, 0.0, 0.0, true, 0.7, 0.0, 95_000),
        "mop_egypt" => p(3.0, 0.07, 1200.0, true, 0.6, 0.0, 140_000),
        "idsc_egypt" => p(4.0, 0.33, 120.0, true, 0.2, 0.0, 520_000),
        _ => p(3.0, 0.1, 600.0, true, 0.5, 0.0, 100_000),
    }
}

/// What a body deals with: fillers for the templates.
struct Topics {
    services: &'static [&'static str],
    places: &'static [&'static str],
    projects: &'static [&'static str],
}

fn topics(body: &str) -> Topics {
    let t = |services, places, projects| Topics {
        services,
        places,
        projects,
    };
    match body {
        "health" => t(
            &[
                "التطعيم ضد شلل الأطفال",
                "حجز الكشف على منظومة التأمين الصحي",
                "قوائم انتظار العمليات",
                "صرف أدوية الأمراض المزمنة",
                "مبادرة ١٠٠ مليون صحة",
            ],
            &[
                "مستشفى أسيوط العام",
                "مستشفى المنيرة",
                "الوحدة الصحية في كفر الشيخ",
                "مستشفى بنها التعليمي",
            ],
            &[
                "تطوير ١٢ مستشفى مركزي",
                "الحملة القومية لمكافحة الديدان",
                "منظومة التأمين الصحي الشامل في الأقصر",
            ],
        ),
        "interior" => t(
            &[
                "استخراج البطاقة الشخصية",
                "تجديد رخصة القيادة",
                "استخراج صحيفة الحالة الجنائية",
                "حجز موعد في الجوازات",
            ],
            &[
                "سجل مدني مدينة نصر",
                "وحدة مرور الجيزة",
                "إدارة الجوازات بالعباسية",
                "قسم شرطة المعادي",
            ],
            &[
                "ضبط ٣٥ طن دقيق مدعم",
                "حملة مرورية على الطرق السريعة",
                "تطوير منظومة الأحوال المدنية",
            ],
        ),
        "communications" => t(
            &[
                "منحة مبادرة رواد مصر الرقمية",
                "بوابة مصر الرقمية",
                "خدمة الإنترنت الأرضي",
                "برنامج كن مستقلًا",
            ],
            &[
                "سنترال المعادي",
                "مركز إبداع مصر الرقمية بالمنصورة",
                "مكتب بريد طنطا",
            ],
            &[
                "مد كابلات الألياف الضوئية لقرى حياة كريمة",
                "افتتاح مركز إبداع رقمي جديد",
                "إطلاق منصة التدريب الرقمية",
            ],
        ),
        "finance" => t(
            &[
                "صرف المعاشات",
                "منظومة الفاتورة الإلكترونية",
                "الإفراج الجمركي",
                "رد ضريبة القيمة المضافة",
            ],
            &[
                "مصلحة الضرائب بالدقي",
                "جمارك الإسكندرية",
                "مأمورية ضرائب شبرا",
            ],
            &[
                "ميكنة منظومة الجمارك",
                "خفض عجز الموازنة",
                "حزمة التسهيلات الضريبية",
            ],
        ),
        "trade_industry" => t(
            &[
                "تسجيل مصنع جديد",
                "شهادة المنشأ",
                "رخصة التشغيل",
                "دعم المصدرين",
            ],
            &[
                "هيئة التنمية الصناعية",
                "مجمع الصناعات الصغيرة في السادات",
                "مكتب التمثيل التجاري",
            ],
            &[
                "طرح أراض صناعية مرفقة",
                "معرض صنع في مصر",
                "تشغيل مجمعات صناعية جديدة",
            ],
        ),
        "awqaf" => t(
            &[
                "تحفيظ القرآن في المساجد",
                "صرف مكافآت الأئمة",
                "حجز قاعات المناسبات بالمساجد",
                "مسابقة الأوقاف",
            ],
            &[
                "مسجد السيدة زينب",
                "مسجد عمرو بن العاص",
                "مديرية أوقاف الجيزة",
            ],
            &[
                "افتتاح ٤٠ مسجدًا جديدًا",
                "القوافل الدعوية",
                "برنامج تدريب الأئمة",
            ],
        ),
        "cabinet" => t(
            &[
                "منظومة الشكاوى الحكومية",
                "مبادرة حياة كريمة",
                "دعم السلع التموينية",
                "التصالح في مخالفات البناء",
            ],
            &["مجلس الوزراء", "محافظة سوهاج", "المدينة الإدارية الجديدة"],
            &[
                "المشروع القومي لتنمية الريف",
                "خطة ترشيد الكهرباء",
                "حزمة الحماية الاجتماعية",
            ],
        ),
        "idsc" => t(
            &[
                "استطلاعات الرأي",
                "بوابة البيانات المفتوحة",
                "تقارير رصد الشائعات",
            ],
            &["مركز المعلومات", "مكتبة المركز"],
            &[
                "تقرير مؤشرات الاقتصاد",
                "إصدار نشرة الرصد الأسبوعية",
                "دراسة عن سوق العمل",
            ],
        ),
        "planning" => t(
            &[
                "التعداد الاقتصادي",
                "منصة الخدمات الحكومية",
                "جائزة مصر للتميز الحكومي",
            ],
            &["المعهد القومي للإدارة", "مركز خدمات المواطنين"],
            &[
                "خطة التنمية المستدامة ٢٠٣٠",
                "متابعة مشروعات المحافظات",
                "تطوير الجهاز الإداري",
            ],
        ),
        "international_cooperation" => t(
            &[
                "المنح التنموية",
                "برامج التدريب الدولية",
                "منصة التعاون التنموي",
            ],
            &["مقر الوزارة", "منتدى مصر للتعاون الدولي"],
            &[
                "تمويل تنموي لمشروعات المياه",
                "برنامج مبادلة الديون",
                "شراكة مع البنك الدولي",
            ],
        ),
        _ => t(&["الخدمات"], &["المقر"], &["المشروعات"]),
    }
}

/// Official post templates by `post_type`; `{s}` a service, `{p}` a place, `{j}` a project.
const OFFICIAL: [(&str, &[&str]); 13] = [
    ("decision", &["قرر الوزير مد العمل بـ{s} حتى نهاية الشهر الجاري", "وافق مجلس الوزراء على تعديل ضوابط {s} اعتبارًا من الأول من الشهر المقبل", "صدور قرار بتكليف مدير جديد لـ{p}"]),
    ("service", &["للتسجيل في {s} يمكن للمواطنين استخدام الرابط الرسمي أو التوجه إلى {p} من ٩ صباحًا حتى ٣ عصرًا", "بدء الحجز الإلكتروني لـ{s}، ولأي استفسار يرجى الاتصال بالخط الساخن ١٥٣٣٥", "مواعيد العمل الجديدة في {p}: من الأحد إلى الخميس"]),
    ("official_activity", &["الوزير يتفقد {p} ويتابع سير العمل ومستوى الخدمة المقدمة للمواطنين", "بالصور: الوزير يستقبل سفير الاتحاد الأوروبي لبحث {j}", "الوزير يترأس اجتماعًا لمتابعة {j}"]),
    ("news", &["انطلاق {j} بمشاركة واسعة من الجهات المعنية", "أسفرت جهود الأجهزة المختصة عن {j}", "تنفيذ المرحلة الثانية من {j} في ٧ محافظات"]),
    ("statistics", &["بالأرقام: تقديم {s} لأكثر من ٢٫٤ مليون مواطن منذ بداية العام", "نسبة الإنجاز في {j} بلغت ٨٧٪ بتكلفة ٣٫٢ مليار جنيه", "#اعرف_حقك ١٢٠ ألف مستفيد من {s} خلال شهر واحد"]),
    ("agreement", &["توقيع مذكرة تفاهم لدعم {j} بمنحة قدرها ٥٠ مليون دولار", "توقيع بروتوكول تعاون مع الجامعات لتطوير {s}"]),
    ("guidance", &["احرص على الحصول على {s} من القنوات الرسمية فقط وتجنب الصفحات المزيفة", "نصائح مهمة قبل التوجه إلى {p}: اصطحب أصل المستندات وصورة منها", "توعية: كيف تحمي بياناتك عند استخدام {s}"]),
    ("rumor_rebuttal", &["لا صحة لما تردد بشأن وقف {s}، والخدمة مستمرة بشكل طبيعي ❌", "حقيقة ما تداولته بعض الصفحات عن إغلاق {p}: الخبر غير صحيح"]),
    ("religious", &["خطبة الجمعة القادمة بعنوان: الإتقان في العمل عبادة", "قال تعالى: وقل اعملوا فسيرى الله عملكم ورسوله والمؤمنون"]),
    ("jobs", &["إعلان مسابقة لشغل ٥٠٠ وظيفة في {p}، والتقديم إلكترونيًا حتى نهاية الشهر", "نتيجة مسابقة {s}: أسماء المقبولين على الموقع الرسمي"]),
    ("publication", &["صدر حديثًا: التقرير السنوي عن {j}", "أحدث إصدارات الوزارة: دليل المواطن إلى {s}"]),
    ("greeting", &["كل عام وأنتم بخير بمناسبة ذكرى انتصارات أكتوبر المجيدة 🇪🇬", "تهنئة من الوزير لجموع الشعب المصري بمناسبة العام الجديد"]),
    ("other", &["شاهد: حلقة جديدة من برنامج الوزارة الأسبوعي", "شاركونا آراءكم في الاستطلاع"]),
];

/// Citizens' messages by intent, Egyptian dialect.
const CITIZEN: [(&str, &[&str]); 5] = [
    (
        "question",
        &[
            "لو سمحت هو {s} بيبدأ امتى؟",
            "ازاي أقدم على {s} أونلاين؟ والأوراق المطلوبة ايه؟",
            "حد يعرف مواعيد {p} يوم السبت؟",
            "هو فيه رابط رسمي لـ{s} ولا لازم أروح بنفسي؟",
            "عايز اعرف {s} بكام وبيتدفع فين",
        ],
    ),
    (
        "complaint",
        &[
            "بقالي ٣ أسابيع مستني {s} ومحدش بيرد على التليفون خالص",
            "الخدمة في {p} زفت والموظفين بيعاملوا الناس وحش",
            "مفيش أي حد بيرد على الخط الساخن من امبارح، حرام عليكم",
            "الموقع واقع من الصبح ومش عارف أكمل {s}",
            "اتأخر صرف {s} للشهر التاني على التوالي",
        ],
    ),
    (
        "request",
        &[
            "نرجو توفير {s} في المحافظات بدل ما الناس تسافر القاهرة",
            "ياريت تزودوا عدد الشبابيك في {p}",
            "نناشد سيادتكم النظر في تمديد {s} لكبار السن",
            "أتمنى تعملوا تطبيق للموبايل لـ{s}",
        ],
    ),
    (
        "praise",
        &[
            "شكرا جدا على سرعة {s}، تجربة محترمة",
            "الناس في {p} محترمين جدا ربنا يبارك فيهم",
            "ممتاز والله، خلصت {s} في ربع ساعة",
        ],
    ),
    (
        "other",
        &[
            "ربنا يحفظ مصر وشعبها",
            "صباح الخير يا مصر",
            "الماتش النهارده هيبقى صعب",
        ],
    ),
];

/// Answers, with `{u}` the citizen's handle.
const ANSWERS: [&str; 6] = [
    "@{u} شكراً لتواصلك، تم رفع ملاحظتك للإدارة المختصة وسيتم التواصل معك",
    "@{u} برجاء التواصل على الخاص بالرقم القومي ورقم الطلب لمتابعة الشكوى",
    "@{u} يمكنك التقديم من خلال البوابة الرسمية، والتفاصيل كاملة في المنشور المثبت",
    "@{u} نعتذر عن التأخير، جار حل المشكلة مع الجهة المختصة",
    "@{u} مواعيد العمل من الأحد إلى الخميس من ٩ صباحًا حتى ٣ عصرًا",
    "@{u} للاستفسار يرجى الاتصال بالخط الساخن ١٥٣٣٥",
];

const FIRST_NAMES: [&str; 16] = [
    "أحمد",
    "محمد",
    "منى",
    "سارة",
    "محمود",
    "هبة",
    "مصطفى",
    "نورهان",
    "كريم",
    "ياسمين",
    "عمرو",
    "دينا",
    "إسلام",
    "شيماء",
    "حسام",
    "رحاب",
];
const LATIN_NAMES: [&str; 16] = [
    "ahmed", "mohamed", "mona", "sara", "mahmoud", "heba", "mostafa", "nourhan", "karim", "yasmin",
    "amr", "dina", "eslam", "shaimaa", "hossam", "rehab",
];

/// One generated post before serialisation.
struct Gen {
    id: u64,
    time_ms: i64,
    author: usize,
    text: String,
    conversation: u64,
    reply_to: Option<(u64, usize)>,
    retweet_of: Option<u64>,
    mentions: Vec<usize>,
    hashtags: Vec<&'static str>,
    media: bool,
    restricted: bool,
    metrics: [u64; 4],
}

struct User {
    id: u64,
    handle: String,
    name: String,
    followers: u64,
    official: bool,
}

fn fill(template: &str, t: &Topics, rng: &mut Rng) -> String {
    let service = *rng.pick(t.services);
    let place = *rng.pick(t.places);
    let project = *rng.pick(t.projects);
    template
        .replace("{s}", service)
        .replace("{p}", place)
        .replace("{j}", project)
}

/// Snowflake id of an instant (unique with a per-generator sequence).
fn snowflake(time_ms: i64, sequence: &mut u64) -> u64 {
    *sequence = (*sequence + 1) & 0x3f_ffff;
    ((time_ms - tawasul_core::snowflake::TWITTER_EPOCH_MS) as u64) << 22 | *sequence
}

/// A delay drawn from a log-normal around `median` minutes (heavy right tail, like real ones).
fn delay_ms(rng: &mut Rng, median_min: f64) -> i64 {
    // Box–Muller.
    let (u1, u2) = (rng.unit().max(1e-12), rng.unit());
    let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
    let minutes = median_min.max(1.0) * (1.1 * z).exp();
    (minutes * MINUTE as f64) as i64 + rng.below(60_000) as i64
}

/// Generates `days` days ending the day before `end` and writes them as twarc2 pages.
pub fn generate(
    registry: &Registry,
    seed: u64,
    days: u32,
    end: NaiveDate,
    out: &mut dyn Write,
) -> Result<u64> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let calendar = BusinessCalendar::default();
    let mut users: Vec<User> = Vec::new();
    let mut official: Vec<(usize, String, Profile)> = Vec::new();
    let mut president = None;
    for (body, account) in registry.accounts() {
        if account.platform != "x" {
            continue;
        }
        let index = users.len();
        let profile = profile(&account.handle);
        users.push(User {
            id: 1_000_000 + index as u64,
            handle: account.handle.clone(),
            name: format!("{} (حساب تجريبي)", body.name_ar),
            followers: profile.followers,
            official: true,
        });
        if body.key == "presidency" || account.handle.eq_ignore_ascii_case("AlsisiOfficial") {
            president = Some(index);
        } else {
            official.push((index, body.key.clone(), profile));
        }
    }
    let first_citizen = users.len();
    for i in 0..400u64 {
        let name = rng.below(FIRST_NAMES.len());
        users.push(User {
            id: 5_000_000 + i,
            handle: format!(
                "{}_{}{}",
                LATIN_NAMES[name],
                LATIN_NAMES[rng.below(16)],
                10 + i
            ),
            name: format!("{} (مواطن تجريبي)", FIRST_NAMES[name]),
            followers: rng.below(3000) as u64,
            official: false,
        });
    }
    let citizens = users.len() - first_citizen;
    let start = calendar.local_to_utc_ms(end - chrono::Duration::days(i64::from(days)), 0);
    let mut sequence = 0u64;
    let mut posts: Vec<Gen> = Vec::new();
    let mut president_posts: Vec<u64> = Vec::new();
    for day in 0..i64::from(days) {
        let day_start = start + day * DAY;
        // The president posts once or twice a day, in the evening.
        if let Some(p) = president {
            for _ in 0..1 + rng.below(2) {
                let time = day_start + 17 * HOUR + rng.below(4 * 3600) as i64 * 1000;
                let id = snowflake(time, &mut sequence);
                posts.push(Gen {
                    id,
                    time_ms: time,
                    author: p,
                    text: rng
                        .pick(&[
                            "التقيت اليوم بعدد من الشباب المصري المتميز، وأؤكد أن مستقبل مصر يُبنى بسواعد أبنائها",
                            "تابعت اليوم مع الحكومة الموقف التنفيذي للمشروعات القومية، وأوجه بسرعة الإنجاز",
                            "كل التحية لأبطال القوات المسلحة والشرطة على ما يبذلونه من أجل أمن الوطن",
                        ])
                        .to_string(),
                    conversation: id,
                    reply_to: None,
                    retweet_of: None,
                    mentions: Vec::new(),
                    hashtags: vec!["مصر"],
                    media: rng.unit() < 0.7,
                    restricted: true,
                    metrics: [
                        20_000 + rng.below(40_000) as u64,
                        800 + rng.below(3000) as u64,
                        3_000 + rng.below(9000) as u64,
                        100 + rng.below(500) as u64,
                    ],
                });
                president_posts.push(id);
            }
        }
        for (author, body, profile) in &official {
            let t = topics(body);
            let count = (profile.posts_per_day * (0.5 + rng.unit())).round() as usize;
            for _ in 0..count {
                // Office-heavy posting: mostly 9:00–20:00 Cairo (UTC+2/3), some at night.
                let hour = if rng.unit() < 0.85 {
                    7 + rng.below(11)
                } else {
                    rng.below(24)
                };
                let time = day_start + hour as i64 * HOUR + rng.below(3600) as i64 * 1000;
                if !president_posts.is_empty() && rng.unit() < profile.president_retweet_share * 0.3
                {
                    let original = *rng.pick(&president_posts);
                    let time = time.max(original_time(original) + MINUTE);
                    let id = snowflake(time, &mut sequence);
                    posts.push(Gen {
                        id,
                        time_ms: time,
                        author: *author,
                        text: String::new(),
                        conversation: id,
                        reply_to: None,
                        retweet_of: Some(original),
                        mentions: Vec::new(),
                        hashtags: Vec::new(),
                        media: false,
                        restricted: false,
                        metrics: [0; 4],
                    });
                    continue;
                }
                let weights: &[(usize, u32)] = match body.as_str() {
                    "awqaf" => &[(8, 30), (2, 25), (3, 15), (11, 15), (9, 5), (1, 5), (6, 5)],
                    "interior" => &[(3, 35), (2, 25), (1, 15), (7, 10), (6, 10), (11, 5)],
                    "health" => &[
                        (1, 20),
                        (6, 20),
                        (4, 15),
                        (2, 15),
                        (3, 10),
                        (7, 10),
                        (0, 5),
                        (9, 5),
                    ],
                    "idsc" => &[(7, 35), (10, 25), (4, 25), (2, 10), (11, 5)],
                    _ => &[
                        (2, 30),
                        (3, 15),
                        (0, 12),
                        (1, 12),
                        (5, 10),
                        (4, 8),
                        (11, 8),
                        (10, 5),
                    ],
                };
                let total: u32 = weights.iter().map(|w| w.1).sum();
                let mut roll = rng.below(total as usize) as u32;
                let mut kind = weights[0].0;
                for &(k, w) in weights {
                    if roll < w {
                        kind = k;
                        break;
                    }
                    roll -= w;
                }
                let (_, templates) = OFFICIAL[kind];
                let id = snowflake(time, &mut sequence);
                let followers = users[*author].followers;
                let reach = (followers as f64 / 10_000.0).max(1.0);
                posts.push(Gen {
                    id,
                    time_ms: time,
                    author: *author,
                    text: {
                        let template = *rng.pick(templates);
                        fill(template, &t, &mut rng)
                    },
                    conversation: id,
                    reply_to: None,
                    retweet_of: None,
                    mentions: Vec::new(),
                    hashtags: if rng.unit() < 0.4 {
                        vec![*rng.pick(&["مصر", "اعرف_حقك", "حياة_كريمة", "الجمهورية_الجديدة"])]
                    } else {
                        Vec::new()
                    },
                    media: rng.unit() < 0.6,
                    restricted: rng.unit() < profile.restricted_share,
                    metrics: [
                        (reach * (2.0 + 20.0 * rng.unit())) as u64,
                        (reach * 3.0 * rng.unit()) as u64,
                        (reach * 4.0 * rng.unit()) as u64,
                        (reach * 0.5 * rng.unit()) as u64,
                    ],
                });
            }
        }
    }
    // Citizens write to the accounts: replies to their posts and mentions.
    let official_posts: Vec<(u64, i64, usize, bool)> = posts
        .iter()
        .filter(|p| p.retweet_of.is_none() && Some(p.author) != president)
        .map(|p| (p.id, p.time_ms, p.author, p.restricted))
        .collect();
    let mut conversations = Vec::new();
    for &(post_id, post_time, author, restricted) in &official_posts {
        if restricted {
            continue;
        }
        let Some((_, body, profile)) = official.iter().find(|o| o.0 == author) else {
            continue;
        };
        let t = topics(body);
        for _ in 0..rng.below(5) {
            let citizen = first_citizen + rng.below(citizens);
            let time = post_time + delay_ms(&mut rng, 50.0);
            let text = citizen_text(&mut rng, &users[author].handle, &t);
            let id = snowflake(time, &mut sequence);
            posts.push(citizen_post(
                id,
                time,
                citizen,
                text,
                post_id,
                Some((post_id, author)),
                vec![author],
            ));
            conversations.push((id, time, citizen, author, *profile, post_id));
        }
    }
    let day_count = i64::from(days);
    for (author, body, profile) in &official {
        let t = topics(body);
        let mentions_per_day = 2 + (profile.followers / 600_000) as usize;
        for _ in 0..mentions_per_day * day_count as usize {
            let citizen = first_citizen + rng.below(citizens);
            let time = start + rng.below((day_count * DAY / 1000) as usize) as i64 * 1000;
            let text = citizen_text(&mut rng, &users[*author].handle, &t);
            let id = snowflake(time, &mut sequence);
            posts.push(citizen_post(
                id,
                time,
                citizen,
                text,
                id,
                None,
                vec![*author],
            ));
            conversations.push((id, time, citizen, *author, *profile, id));
        }
    }
    // Answers (and sometimes a follow-up and a second answer: a dialogue).
    let end_ms = start + day_count * DAY;
    for (message, time, citizen, author, profile, conversation) in conversations {
        if rng.unit() >= profile.answer_share {
            continue;
        }
        let mut at = time + delay_ms(&mut rng, profile.median_delay_min);
        if profile.office_hours_only && !calendar.is_open(at) {
            // Wait for the next opening, then a little more.
            let timeline = calendar.timeline(at, at + 10 * DAY);
            at = timeline.add_business_ms(at, 1).unwrap_or(at) + delay_ms(&mut rng, 20.0);
        }
        if at >= end_ms {
            continue;
        }
        let text = rng.pick(&ANSWERS).replace("{u}", &users[citizen].handle);
        let id = snowflake(at, &mut sequence);
        posts.push(Gen {
            id,
            time_ms: at,
            author,
            text,
            conversation,
            reply_to: Some((message, citizen)),
            retweet_of: None,
            mentions: vec![citizen],
            hashtags: Vec::new(),
            media: false,
            restricted: false,
            metrics: [rng.below(20) as u64, rng.below(3) as u64, 0, 0],
        });
        if rng.unit() < 0.25 {
            let follow = at + delay_ms(&mut rng, 30.0);
            let text = format!(
                "@{} {}",
                users[author].handle,
                rng.pick(&[
                    "طيب والمدة قد ايه تقريبا؟",
                    "بعت على الخاص ومحدش رد",
                    "تمام شكرا، ولو اتأخر أعمل ايه؟"
                ])
            );
            let follow_id = snowflake(follow, &mut sequence);
            posts.push(citizen_post(
                follow_id,
                follow,
                citizen,
                text,
                conversation,
                Some((id, author)),
                vec![author],
            ));
            if rng.unit() < profile.answer_share {
                let again = follow + delay_ms(&mut rng, profile.median_delay_min);
                if again < end_ms {
                    let text = format!(
                        "@{} {}",
                        users[citizen].handle,
                        "عادة خلال ٧ أيام عمل، وفي حالة التأخير يرجى مراسلتنا برقم الطلب"
                    );
                    let again_id = snowflake(again, &mut sequence);
                    posts.push(Gen {
                        id: again_id,
                        time_ms: again,
                        author,
                        text,
                        conversation,
                        reply_to: Some((follow_id, citizen)),
                        retweet_of: None,
                        mentions: vec![citizen],
                        hashtags: Vec::new(),
                        media: false,
                        restricted: false,
                        metrics: [rng.below(10) as u64, 0, 0, 0],
                    });
                }
            }
        }
    }
    posts.retain(|p| p.time_ms < end_ms);
    posts.sort_by_key(|p| p.id);
    write_pages(&posts, &users, &calendar, out)
}

fn original_time(id: u64) -> i64 {
    tawasul_core::snowflake::time_ms(id).unwrap_or(0)
}

/// A citizen's message to `handle`: an intent drawn by its share, then one of its templates.
fn citizen_text(rng: &mut Rng, handle: &str, topics: &Topics) -> String {
    let intent = pick_intent(rng);
    let templates = CITIZEN[intent].1;
    let template = templates[rng.below(templates.len())];
    format!("@{handle} {}", fill(template, topics, rng))
}

fn pick_intent(rng: &mut Rng) -> usize {
    // complaint 35%, question 30%, request 15%, praise 8%, other 12%.
    match rng.below(100) {
        0..=34 => 1,
        35..=64 => 0,
        65..=79 => 2,
        80..=87 => 3,
        _ => 4,
    }
}

fn citizen_post(
    id: u64,
    time_ms: i64,
    author: usize,
    text: String,
    conversation: u64,
    reply_to: Option<(u64, usize)>,
    mentions: Vec<usize>,
) -> Gen {
    Gen {
        id,
        time_ms,
        author,
        text,
        conversation,
        reply_to,
        retweet_of: None,
        mentions,
        hashtags: Vec::new(),
        media: false,
        restricted: false,
        metrics: [0, 0, 0, 0],
    }
}

fn tweet_json(post: &Gen, users: &[User], by_id: &std::collections::HashMap<u64, &Gen>) -> Value {
    let author = &users[post.author];
    let mut text = post.text.clone();
    let mut referenced = Vec::new();
    let mut mentions = Vec::new();
    if let Some(original) = post.retweet_of.and_then(|id| by_id.get(&id)) {
        let origin = &users[original.author];
        // v2 truncates retweet text; the full text is in includes.tweets.
        let prefix = format!("RT @{}: ", origin.handle);
        text = format!(
            "{prefix}{}",
            original.text.chars().take(100).collect::<String>()
        );
        mentions.push(json!({"start": 3, "end": 4 + origin.handle.len(), "username": origin.handle, "id": origin.id.to_string()}));
        referenced.push(json!({"type": "retweeted", "id": original.id.to_string()}));
    }
    for &m in &post.mentions {
        let handle = &users[m].handle;
        let needle = format!("@{handle}");
        if let Some(byte) = text.find(&needle) {
            let start = text[..byte].chars().count();
            mentions.push(json!({"start": start, "end": start + needle.chars().count(), "username": handle, "id": users[m].id.to_string()}));
        }
    }
    let mut tweet = json!({
        "id": post.id.to_string(),
        "text": text,
        "author_id": author.id.to_string(),
        "conversation_id": post.conversation.to_string(),
        "created_at": rfc3339(post.time_ms),
        "lang": "ar",
        "source": "tawasul demo-data",
        "reply_settings": if post.restricted { "mentionedUsers" } else { "everyone" },
        "edit_history_tweet_ids": [post.id.to_string()],
        "public_metrics": {
            "like_count": post.metrics[0],
            "reply_count": post.metrics[1],
            "retweet_count": post.metrics[2],
            "quote_count": post.metrics[3],
        },
    });
    if let Some((parent, user)) = post.reply_to {
        referenced.push(json!({"type": "replied_to", "id": parent.to_string()}));
        tweet["in_reply_to_user_id"] = json!(users[user].id.to_string());
    }
    if !referenced.is_empty() {
        tweet["referenced_tweets"] = json!(referenced);
    }
    let mut entities = serde_json::Map::new();
    if !mentions.is_empty() {
        entities.insert("mentions".into(), json!(mentions));
    }
    if !post.hashtags.is_empty() {
        let tags: Vec<Value> = post
            .hashtags
            .iter()
            .map(|t| json!({"start": 0, "end": t.chars().count() + 1, "tag": t}))
            .collect();
        entities.insert("hashtags".into(), json!(tags));
    }
    if !entities.is_empty() {
        tweet["entities"] = Value::Object(entities);
    }
    if post.media {
        tweet["attachments"] = json!({"media_keys": [format!("3_{}", post.id)]});
    }
    tweet
}

fn user_json(user: &User) -> Value {
    json!({
        "id": user.id.to_string(),
        "username": user.handle,
        "name": user.name,
        "description": "حساب تجريبي مولّد آليًا بواسطة tawasul demo-data — ليس حسابًا حقيقيًا",
        "verified": user.official,
        "public_metrics": {"followers_count": user.followers, "following_count": 120, "tweet_count": 5000, "listed_count": 10},
    })
}

/// One page per Cairo day: the day's posts, their authors, the originals they retweet.
fn write_pages(
    posts: &[Gen],
    users: &[User],
    calendar: &BusinessCalendar,
    out: &mut dyn Write,
) -> Result<u64> {
    let by_id: std::collections::HashMap<u64, &Gen> = posts.iter().map(|p| (p.id, p)).collect();
    let mut index = 0;
    let mut written = 0u64;
    while index < posts.len() {
        let day = calendar.local_date(posts[index].time_ms);
        let mut end = index;
        while end < posts.len() && calendar.local_date(posts[end].time_ms) == day {
            end += 1;
        }
        let page = &posts[index..end];
        let mut authors: Vec<usize> = page.iter().map(|p| p.author).collect();
        let mut included = Vec::new();
        let mut media = Vec::new();
        for post in page {
            if let Some(original) = post.retweet_of.and_then(|id| by_id.get(&id)) {
                authors.push(original.author);
                included.push(tweet_json(original, users, &by_id));
            }
            if post.media {
                media.push(json!({"media_key": format!("3_{}", post.id), "type": "photo", "url": format!("https://pbs.twimg.com/media/demo{}.jpg", post.id)}));
            }
        }
        authors.sort_unstable();
        authors.dedup();
        let page_json = json!({
            "data": page.iter().map(|p| tweet_json(p, users, &by_id)).collect::<Vec<_>>(),
            "includes": {
                "users": authors.iter().map(|&a| user_json(&users[a])).collect::<Vec<_>>(),
                "tweets": included,
                "media": media,
            },
            "meta": {"result_count": page.len(), "demo_data": true, "generator": "tawasul demo-data"},
            "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all", "version": "2.14.0", "retrieved_at": rfc3339(page.last().map_or(0, |p| p.time_ms + DAY))},
        });
        serde_json::to_writer(&mut *out, &page_json)?;
        out.write_all(b"\n")?;
        written += page.len() as u64;
        index = end;
    }
    Ok(written)
}

/// `tawasul demo-data`: writes the corpus to `out` (or stdout).
pub fn run(
    registry: &Registry,
    seed: u64,
    days: u32,
    end: Option<&str>,
    out: Option<&Path>,
) -> Result<u64> {
    let end = match end {
        Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .with_context(|| format!("--end {text:?}: expected YYYY-MM-DD"))?,
        None => {
            let now = crate::import_cmd::now_ms();
            BusinessCalendar::default().local_date(now)
        }
    };
    if days == 0 || days > 3660 {
        anyhow::bail!("--days {days}: between 1 and 3660");
    }
    match out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("creating {}", path.display()))?;
            let mut writer = std::io::BufWriter::new(file);
            let n = generate(registry, seed, days, end, &mut writer)?;
            writer.flush()?;
            Ok(n)
        }
        None => {
            let stdout = std::io::stdout();
            let mut lock = stdout.lock();
            generate(registry, seed, days, end, &mut lock)
        }
    }
}

/// `tawasul demo`: generates the demo corpus, imports it into a fresh data directory, marks the
/// store as demo data and writes the report (Arabic and English HTML, JSON).
pub fn demo(dir: &Path, seed: u64, days: u32, end: Option<&str>) -> Result<std::process::ExitCode> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let database = dir.join(tawasul_store::DATABASE_FILE);
    if database.exists() {
        // A demo starts afresh, but never over a store of real data.
        let runtime = crate::import_cmd::runtime()?;
        let store = crate::import_cmd::open_store(&runtime, dir, None)?;
        let demo = runtime.block_on(crate::report_cmd::store_flag(
            &store,
            crate::report_cmd::DEMO_MARKER,
        ))?;
        runtime.block_on(store.close());
        if !demo {
            anyhow::bail!(
                "{} holds a store that is not demo data; choose another --dir",
                dir.display()
            );
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = dir.join(format!("{}{suffix}", tawasul_store::DATABASE_FILE));
            if path.exists() {
                std::fs::remove_file(&path)
                    .with_context(|| format!("removing {}", path.display()))?;
            }
        }
    }
    let corpus = dir.join("tawasul-demo-data.jsonl");
    let registry = Registry::shipped();
    let posts = run(&registry, seed, days, end, Some(&corpus))?;
    eprintln!(
        "tawasul demo: generated {posts} demo posts over {days} days in {}",
        corpus.display()
    );
    crate::import_cmd::import_strict_quiet(dir, corpus).context("importing the demo corpus")?;
    let runtime = crate::import_cmd::runtime()?;
    let store = crate::import_cmd::open_store(&runtime, dir, None)?;
    runtime.block_on(store.set_meta(crate::report_cmd::DEMO_MARKER, "1"))?;
    runtime.block_on(store.close());
    for (format, lang, name) in [
        ("html", "ar", "report.html"),
        ("html", "en", "report.en.html"),
        ("json", "ar", "report.json"),
    ] {
        crate::report_cmd::report(crate::report_cmd::ReportArgs {
            data_dir: dir.to_path_buf(),
            registry: None,
            from: None,
            to: None,
            accounts: Vec::new(),
            format: format.into(),
            out: Some(dir.join(name)),
            lang: lang.into(),
            as_of: None,
            calendar: None,
        })?;
    }
    eprintln!(
        "tawasul demo: report written to {} (English: {}, JSON: {})",
        dir.join("report.html").display(),
        dir.join("report.en.html").display(),
        dir.join("report.json").display()
    );
    Ok(std::process::ExitCode::SUCCESS)
}
