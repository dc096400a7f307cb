//! Every string the widget's own UI shows, in one catalogue: English, Spanish, French,
//! German, Arabic and Hebrew. `data-lang`, else the browser's language, picks one; Arabic and
//! Hebrew lay the panel out right to left.

use crate::protocol::write::{Json, Object};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
    Fr,
    De,
    Ar,
    He,
}

pub struct Strings {
    pub connecting: &'static str,
    pub reconnecting: &'static str,
    pub offline: &'static str,
    pub ended: &'static str,
    pub unavailable: &'static str,
    pub sending: &'static str,
    pub sent: &'static str,
    pub delivered: &'static str,
    pub not_sent: &'static str,
    pub interrupted: &'static str,
    pub retry: &'static str,
    pub open_chat: &'static str,
    pub close_chat: &'static str,
    pub sound_on: &'static str,
    pub sound_off: &'static str,
    pub end_chat: &'static str,
    pub new_chat: &'static str,
    pub acting: &'static str,
    pub stop: &'static str,
    pub messages: &'static str,
    pub message: &'static str,
    pub placeholder: &'static str,
    pub send: &'static str,
    pub dismiss: &'static str,
    pub suggested: &'static str,
    pub your_details: &'static str,
    pub typing: &'static str,
    pub invalid_email: &'static str,
    pub chat: &'static str,
    pub latest: &'static str,
    pub copy: &'static str,
    pub copied: &'static str,
    pub code: &'static str,
    pub new_messages: &'static str,
}

const EN: Strings = Strings {
    connecting: "Connecting…",
    reconnecting: "Reconnecting…",
    offline: "You are offline. Messages will be sent when you are back online.",
    ended: "This conversation has ended.",
    unavailable: "The chat is unavailable.",
    sending: "Sending",
    sent: "Sent",
    delivered: "Delivered",
    not_sent: "Not sent",
    interrupted: "Interrupted",
    retry: "Retry",
    open_chat: "Open chat",
    close_chat: "Close chat",
    sound_on: "Turn sound on",
    sound_off: "Turn sound off",
    end_chat: "End chat",
    new_chat: "Start a new chat",
    acting: "The agent is showing you around…",
    stop: "Stop",
    messages: "Messages",
    message: "Message",
    placeholder: "Type a message…",
    send: "Send",
    dismiss: "Dismiss",
    suggested: "Suggested replies",
    your_details: "Your details",
    typing: "Typing",
    invalid_email: "Please enter a valid e-mail address.",
    chat: "Chat",
    latest: "Jump to latest",
    copy: "Copy",
    copied: "Copied",
    code: "Code",
    new_messages: "New messages",
};

const ES: Strings = Strings {
    connecting: "Conectando…",
    reconnecting: "Reconectando…",
    offline: "Estás sin conexión. Los mensajes se enviarán cuando vuelvas a estar en línea.",
    ended: "Esta conversación ha terminado.",
    unavailable: "El chat no está disponible.",
    sending: "Enviando",
    sent: "Enviado",
    delivered: "Entregado",
    not_sent: "No enviado",
    interrupted: "Interrumpido",
    retry: "Reintentar",
    open_chat: "Abrir el chat",
    close_chat: "Cerrar el chat",
    sound_on: "Activar el sonido",
    sound_off: "Desactivar el sonido",
    end_chat: "Terminar",
    new_chat: "Empezar un chat nuevo",
    acting: "El agente te está mostrando el producto…",
    stop: "Detener",
    messages: "Mensajes",
    message: "Mensaje",
    placeholder: "Escribe un mensaje…",
    send: "Enviar",
    dismiss: "Cerrar aviso",
    suggested: "Respuestas sugeridas",
    your_details: "Tus datos",
    typing: "Escribiendo",
    invalid_email: "Introduce una dirección de correo válida.",
    chat: "Chat",
    latest: "Ir a lo último",
    copy: "Copiar",
    copied: "Copiado",
    code: "Código",
    new_messages: "Mensajes nuevos",
};

const FR: Strings = Strings {
    connecting: "Connexion…",
    reconnecting: "Reconnexion…",
    offline: "Vous êtes hors ligne. Les messages partiront dès votre retour en ligne.",
    ended: "Cette conversation est terminée.",
    unavailable: "Le chat est indisponible.",
    sending: "Envoi",
    sent: "Envoyé",
    delivered: "Remis",
    not_sent: "Non envoyé",
    interrupted: "Interrompu",
    retry: "Réessayer",
    open_chat: "Ouvrir le chat",
    close_chat: "Fermer le chat",
    sound_on: "Activer le son",
    sound_off: "Couper le son",
    end_chat: "Terminer",
    new_chat: "Nouvelle conversation",
    acting: "L'agent vous fait la visite…",
    stop: "Arrêter",
    messages: "Messages",
    message: "Message",
    placeholder: "Écrivez un message…",
    send: "Envoyer",
    dismiss: "Fermer l'avis",
    suggested: "Réponses suggérées",
    your_details: "Vos coordonnées",
    typing: "En train d'écrire",
    invalid_email: "Saisissez une adresse e-mail valide.",
    chat: "Chat",
    latest: "Aller au plus récent",
    copy: "Copier",
    copied: "Copié",
    code: "Code",
    new_messages: "Nouveaux messages",
};

const DE: Strings = Strings {
    connecting: "Verbinden…",
    reconnecting: "Verbindung wird wiederhergestellt…",
    offline: "Sie sind offline. Nachrichten werden gesendet, sobald Sie wieder online sind.",
    ended: "Diese Unterhaltung ist beendet.",
    unavailable: "Der Chat ist nicht verfügbar.",
    sending: "Wird gesendet",
    sent: "Gesendet",
    delivered: "Zugestellt",
    not_sent: "Nicht gesendet",
    interrupted: "Unterbrochen",
    retry: "Erneut versuchen",
    open_chat: "Chat öffnen",
    close_chat: "Chat schließen",
    sound_on: "Ton einschalten",
    sound_off: "Ton ausschalten",
    end_chat: "Beenden",
    new_chat: "Neuen Chat beginnen",
    acting: "Der Agent führt Sie herum…",
    stop: "Stopp",
    messages: "Nachrichten",
    message: "Nachricht",
    placeholder: "Nachricht schreiben…",
    send: "Senden",
    dismiss: "Hinweis schließen",
    suggested: "Vorgeschlagene Antworten",
    your_details: "Ihre Angaben",
    typing: "Schreibt",
    invalid_email: "Bitte geben Sie eine gültige E-Mail-Adresse ein.",
    chat: "Chat",
    latest: "Zu den neuesten",
    copy: "Kopieren",
    copied: "Kopiert",
    code: "Code",
    new_messages: "Neue Nachrichten",
};

const AR: Strings = Strings {
    connecting: "جارٍ الاتصال…",
    reconnecting: "جارٍ إعادة الاتصال…",
    offline: "أنت غير متصل. ستُرسل الرسائل عند عودتك إلى الاتصال.",
    ended: "انتهت هذه المحادثة.",
    unavailable: "المحادثة غير متاحة.",
    sending: "جارٍ الإرسال",
    sent: "أُرسلت",
    delivered: "وصلت",
    not_sent: "لم تُرسل",
    interrupted: "انقطعت",
    retry: "إعادة المحاولة",
    open_chat: "فتح المحادثة",
    close_chat: "إغلاق المحادثة",
    sound_on: "تشغيل الصوت",
    sound_off: "إيقاف الصوت",
    end_chat: "إنهاء",
    new_chat: "بدء محادثة جديدة",
    acting: "يعرض لك الوكيل المنتج…",
    stop: "إيقاف",
    messages: "الرسائل",
    message: "رسالة",
    placeholder: "اكتب رسالة…",
    send: "إرسال",
    dismiss: "إغلاق التنبيه",
    suggested: "ردود مقترحة",
    your_details: "بياناتك",
    typing: "يكتب",
    invalid_email: "يرجى إدخال بريد إلكتروني صالح.",
    chat: "محادثة",
    latest: "الانتقال إلى الأحدث",
    copy: "نسخ",
    copied: "تم النسخ",
    code: "شيفرة",
    new_messages: "رسائل جديدة",
};

const HE: Strings = Strings {
    connecting: "מתחבר…",
    reconnecting: "מתחבר מחדש…",
    offline: "אין חיבור לרשת. ההודעות יישלחו כשהחיבור יחזור.",
    ended: "השיחה הסתיימה.",
    unavailable: "הצ'אט אינו זמין.",
    sending: "נשלחת",
    sent: "נשלחה",
    delivered: "התקבלה",
    not_sent: "לא נשלחה",
    interrupted: "נקטעה",
    retry: "ניסיון חוזר",
    open_chat: "פתיחת הצ'אט",
    close_chat: "סגירת הצ'אט",
    sound_on: "הפעלת שמע",
    sound_off: "כיבוי שמע",
    end_chat: "סיום",
    new_chat: "התחלת שיחה חדשה",
    acting: "הנציג מראה לך את המוצר…",
    stop: "עצירה",
    messages: "הודעות",
    message: "הודעה",
    placeholder: "כתבו הודעה…",
    send: "שליחה",
    dismiss: "סגירת ההודעה",
    suggested: "תשובות מוצעות",
    your_details: "הפרטים שלך",
    typing: "מקליד",
    invalid_email: "נא להזין כתובת דוא\"ל תקינה.",
    chat: "צ'אט",
    latest: "מעבר להודעה האחרונה",
    copy: "העתקה",
    copied: "הועתק",
    code: "קוד",
    new_messages: "הודעות חדשות",
};

impl Lang {
    /// `data-lang` when given, else the browser's language; English when neither is known.
    pub fn pick(configured: Option<&str>, browser: Option<&str>) -> Lang {
        configured
            .and_then(Lang::from_tag)
            .or_else(|| browser.and_then(Lang::from_tag))
            .unwrap_or(Lang::En)
    }

    /// By primary subtag: `es-MX` → Spanish, `iw` (old Hebrew code) → Hebrew.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag
            .split(['-', '_'])
            .next()
            .unwrap_or("")
            .to_ascii_lowercase();
        match primary.as_str() {
            "en" => Some(Lang::En),
            "es" => Some(Lang::Es),
            "fr" => Some(Lang::Fr),
            "de" => Some(Lang::De),
            "ar" => Some(Lang::Ar),
            "he" | "iw" => Some(Lang::He),
            _ => None,
        }
    }

    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Es => "es",
            Lang::Fr => "fr",
            Lang::De => "de",
            Lang::Ar => "ar",
            Lang::He => "he",
        }
    }

    pub fn rtl(self) -> bool {
        matches!(self, Lang::Ar | Lang::He)
    }

    pub fn strings(self) -> &'static Strings {
        match self {
            Lang::En => &EN,
            Lang::Es => &ES,
            Lang::Fr => &FR,
            Lang::De => &DE,
            Lang::Ar => &AR,
            Lang::He => &HE,
        }
    }

    pub const ALL: [Lang; 6] = [Lang::En, Lang::Es, Lang::Fr, Lang::De, Lang::Ar, Lang::He];
}

/// A system notice in the transcript (handoff, queue, session end). The engine records which
/// one, with its details; the view words it in the visitor's language. Text a server sends
/// as its own notice is shown as sent (`Server`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    Server {
        text: String,
    },
    ContinuedElsewhere,
    SessionExpired,
    EndedIdle,
    Ended,
    AssistantLeft,
    ConnectingTeam,
    TeamSoon,
    Queue {
        position: Option<u64>,
        queue: Option<String>,
        wait_seconds: Option<u64>,
    },
    AgentJoined {
        name: Option<String>,
    },
    AgentLeft,
    HandoffFailed,
    HandoffTimeout,
    NeedsTeam {
        queue: Option<String>,
    },
}

/// Stored as its kind in `k` and that kind's fields, absent ones as `null`.
impl Json for Notice {
    fn write(&self, out: &mut String) {
        let mut o = Object::new(out);
        o.field("k", &self.kind());
        match self {
            Notice::Server { text } => {
                o.field("text", text);
            }
            Notice::Queue {
                position,
                queue,
                wait_seconds,
            } => {
                o.field("position", position)
                    .field("queue", queue)
                    .field("wait_seconds", wait_seconds);
            }
            Notice::AgentJoined { name } => {
                o.field("name", name);
            }
            Notice::NeedsTeam { queue } => {
                o.field("queue", queue);
            }
            _ => {}
        }
        o.end();
    }
}

impl Notice {
    /// Its kind as stored (`k`).
    fn kind(&self) -> &'static str {
        match self {
            Notice::Server { .. } => "server",
            Notice::ContinuedElsewhere => "continued_elsewhere",
            Notice::SessionExpired => "session_expired",
            Notice::EndedIdle => "ended_idle",
            Notice::Ended => "ended",
            Notice::AssistantLeft => "assistant_left",
            Notice::ConnectingTeam => "connecting_team",
            Notice::TeamSoon => "team_soon",
            Notice::Queue { .. } => "queue",
            Notice::AgentJoined { .. } => "agent_joined",
            Notice::AgentLeft => "agent_left",
            Notice::HandoffFailed => "handoff_failed",
            Notice::HandoffTimeout => "handoff_timeout",
            Notice::NeedsTeam { .. } => "needs_team",
        }
    }

    /// A stored notice read back: its tag `k` (as the private `kind` writes it) and the fields of
    /// that kind.
    pub fn read(v: &crate::protocol::value::Value) -> Option<Notice> {
        let r = crate::protocol::record::Record::of(v)?;
        Some(match r.text("k")?.as_str() {
            "server" => Notice::Server {
                text: r.text("text")?,
            },
            "queue" => Notice::Queue {
                position: r.optional_count("position")?,
                queue: r.optional_text("queue")?,
                wait_seconds: r.optional_count("wait_seconds")?,
            },
            "agent_joined" => Notice::AgentJoined {
                name: r.optional_text("name")?,
            },
            "needs_team" => Notice::NeedsTeam {
                queue: r.optional_text("queue")?,
            },
            kind => Notice::PLAIN.into_iter().find(|n| n.kind() == kind)?,
        })
    }

    /// The notices without details, each named by [`Notice::kind`].
    const PLAIN: [Notice; 10] = [
        Notice::ContinuedElsewhere,
        Notice::SessionExpired,
        Notice::EndedIdle,
        Notice::Ended,
        Notice::AssistantLeft,
        Notice::ConnectingTeam,
        Notice::TeamSoon,
        Notice::AgentLeft,
        Notice::HandoffFailed,
        Notice::HandoffTimeout,
    ];

    /// The notice in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        // `template` with its one `{…}` placeholder replaced by `value` (a byte search:
        // `str::replace` would bring a substring searcher into the bundle for these alone).
        fn fill(template: &str, value: &str) -> String {
            let Some((head, rest)) = template.split_once('{') else {
                return template.to_string();
            };
            let tail = rest.split_once('}').map_or("", |(_, tail)| tail);
            let mut out = String::with_capacity(template.len() + value.len());
            out.push_str(head);
            out.push_str(value);
            out.push_str(tail);
            out
        }
        use Lang::*;
        let pick = |v: &[&str; 6]| {
            v[match lang {
                En => 0,
                Es => 1,
                Fr => 2,
                De => 3,
                Ar => 4,
                He => 5,
            }]
            .to_string()
        };
        match self {
            Notice::Server { text } => text.clone(),
            Notice::Ended => lang.strings().ended.to_string(),
            Notice::ContinuedElsewhere => pick(&[
                "This chat continued in another window.",
                "Este chat continuó en otra ventana.",
                "Cette conversation se poursuit dans une autre fenêtre.",
                "Dieser Chat wird in einem anderen Fenster fortgesetzt.",
                "استمرت هذه المحادثة في نافذة أخرى.",
                "הצ'אט הזה ממשיך בחלון אחר.",
            ]),
            Notice::SessionExpired => pick(&[
                "The previous conversation expired; starting a new one.",
                "La conversación anterior caducó; empezamos una nueva.",
                "La conversation précédente a expiré ; une nouvelle commence.",
                "Die vorige Unterhaltung ist abgelaufen; eine neue beginnt.",
                "انتهت صلاحية المحادثة السابقة؛ تبدأ محادثة جديدة.",
                "תוקף השיחה הקודמת פג; מתחילה שיחה חדשה.",
            ]),
            Notice::EndedIdle => pick(&[
                "This conversation ended after a period of inactivity.",
                "Esta conversación terminó tras un periodo de inactividad.",
                "Cette conversation s'est terminée après une période d'inactivité.",
                "Diese Unterhaltung wurde nach längerer Inaktivität beendet.",
                "انتهت هذه المحادثة بعد فترة من عدم النشاط.",
                "השיחה הסתיימה לאחר זמן ללא פעילות.",
            ]),
            Notice::AssistantLeft => pick(&[
                "The virtual assistant has left the chat.",
                "El asistente virtual ha salido del chat.",
                "L'assistant virtuel a quitté la conversation.",
                "Der virtuelle Assistent hat den Chat verlassen.",
                "غادر المساعد الافتراضي المحادثة.",
                "העוזר הווירטואלי עזב את הצ'אט.",
            ]),
            Notice::ConnectingTeam => pick(&[
                "Connecting you with a member of our team…",
                "Te estamos conectando con alguien de nuestro equipo…",
                "Nous vous mettons en relation avec un membre de notre équipe…",
                "Wir verbinden Sie mit jemandem aus unserem Team…",
                "جارٍ توصيلك بأحد أعضاء فريقنا…",
                "מחברים אותך לנציג מהצוות שלנו…",
            ]),
            Notice::TeamSoon => pick(&[
                "Someone from our team will be with you shortly.",
                "Alguien de nuestro equipo te atenderá en breve.",
                "Un membre de notre équipe va vous répondre sous peu.",
                "Gleich ist jemand aus unserem Team für Sie da.",
                "سيكون أحد أعضاء فريقنا معك قريبًا.",
                "נציג מהצוות שלנו יהיה איתך בקרוב.",
            ]),
            Notice::Queue {
                position,
                queue,
                wait_seconds,
            } => {
                let mut line = match position {
                    Some(n) => fill(
                        &pick(&[
                            "You are number {n} in the queue",
                            "Eres el número {n} en la cola",
                            "Vous êtes numéro {n} dans la file d'attente",
                            "Sie sind Nummer {n} in der Warteschlange",
                            "أنت رقم {n} في قائمة الانتظار",
                            "את/ה מספר {n} בתור",
                        ]),
                        &n.to_string(),
                    ),
                    None => pick(&[
                        "You are in the queue",
                        "Estás en la cola",
                        "Vous êtes dans la file d'attente",
                        "Sie sind in der Warteschlange",
                        "أنت في قائمة الانتظار",
                        "את/ה בתור",
                    ]),
                };
                if let Some(q) = queue {
                    let of_queue = &[" for {q}", " de {q}", " pour {q}", " für {q}", " لـ {q}", " עבור {q}"];
                    line += &fill(&pick(of_queue), q);
                }
                if let Some(s) = wait_seconds {
                    let m = s.div_ceil(60).max(1);
                    let wait = if m == 1 {
                        pick(&[
                            " (wait: about a minute)",
                            " (espera: un minuto aprox.)",
                            " (attente : environ une minute)",
                            " (Wartezeit: etwa eine Minute)",
                            " (الانتظار: نحو دقيقة)",
                            " (המתנה: כדקה)",
                        ])
                    } else {
                        fill(
                            &pick(&[
                                " (wait: about {m} minutes)",
                                " (espera: unos {m} minutos)",
                                " (attente : environ {m} minutes)",
                                " (Wartezeit: etwa {m} Minuten)",
                                " (الانتظار: نحو {m} دقائق)",
                                " (המתנה: כ-{m} דקות)",
                            ]),
                            &m.to_string(),
                        )
                    };
                    line += &wait;
                }
                line + "."
            }
            Notice::AgentJoined { name } => match name {
                Some(n) => fill(
                    &pick(&[
                        "{n} joined the chat.",
                        "{n} se unió al chat.",
                        "{n} a rejoint la conversation.",
                        "{n} ist dem Chat beigetreten.",
                        "انضم {n} إلى المحادثة.",
                        "{n} הצטרף/ה לצ'אט.",
                    ]),
                    n,
                ),
                None => pick(&[
                    "An agent joined the chat.",
                    "Un agente se unió al chat.",
                    "Un conseiller a rejoint la conversation.",
                    "Ein Mitarbeiter ist dem Chat beigetreten.",
                    "انضم موظف إلى المحادثة.",
                    "נציג הצטרף לצ'אט.",
                ]),
            },
            Notice::AgentLeft => pick(&[
                "The agent has left the chat.",
                "El agente ha salido del chat.",
                "Le conseiller a quitté la conversation.",
                "Der Mitarbeiter hat den Chat verlassen.",
                "غادر الموظف المحادثة.",
                "הנציג עזב את הצ'אט.",
            ]),
            Notice::HandoffFailed => pick(&[
                "We couldn't connect you with our team right now. You can keep chatting or try again later.",
                "No pudimos conectarte con nuestro equipo ahora. Puedes seguir chateando o intentarlo más tarde.",
                "Impossible de vous mettre en relation avec notre équipe pour l'instant. Vous pouvez continuer ou réessayer plus tard.",
                "Wir konnten Sie gerade nicht mit unserem Team verbinden. Sie können weiterschreiben oder es später erneut versuchen.",
                "تعذر توصيلك بفريقنا الآن. يمكنك متابعة المحادثة أو المحاولة لاحقًا.",
                "לא הצלחנו לחבר אותך לצוות כרגע. אפשר להמשיך בשיחה או לנסות שוב מאוחר יותר.",
            ]),
            Notice::HandoffTimeout => pick(&[
                "No one from our team was available in time. Please try again later or contact us another way.",
                "Nadie de nuestro equipo estuvo disponible a tiempo. Inténtalo más tarde o contáctanos por otra vía.",
                "Personne de notre équipe n'était disponible à temps. Réessayez plus tard ou contactez-nous autrement.",
                "Niemand aus unserem Team war rechtzeitig verfügbar. Bitte versuchen Sie es später oder auf anderem Weg.",
                "لم يكن أحد من فريقنا متاحًا في الوقت المناسب. حاول لاحقًا أو تواصل معنا بطريقة أخرى.",
                "אף אחד מהצוות לא היה זמין בזמן. נא לנסות מאוחר יותר או לפנות אלינו בדרך אחרת.",
            ]),
            Notice::NeedsTeam { queue } => {
                let team = queue.clone();
                match team {
                    Some(q) => fill(
                        &pick(&[
                            "This request needs our {q} team. Please contact them through another channel.",
                            "Esta solicitud necesita a nuestro equipo de {q}. Contáctalo por otro canal.",
                            "Cette demande relève de notre équipe {q}. Contactez-la par un autre canal.",
                            "Diese Anfrage braucht unser Team {q}. Bitte kontaktieren Sie es auf anderem Weg.",
                            "يحتاج هذا الطلب إلى فريق {q} لدينا. يرجى التواصل معه عبر قناة أخرى.",
                            "הבקשה הזו דורשת את צוות {q} שלנו. נא לפנות אליו בערוץ אחר.",
                        ]),
                        &q,
                    ),
                    None => pick(&[
                        "This request needs our support team. Please contact them through another channel.",
                        "Esta solicitud necesita a nuestro equipo de soporte. Contáctalo por otro canal.",
                        "Cette demande relève de notre équipe d'assistance. Contactez-la par un autre canal.",
                        "Diese Anfrage braucht unser Support-Team. Bitte kontaktieren Sie es auf anderem Weg.",
                        "يحتاج هذا الطلب إلى فريق الدعم لدينا. يرجى التواصل معه عبر قناة أخرى.",
                        "הבקשה הזו דורשת את צוות התמיכה שלנו. נא לפנות אליו בערוץ אחר.",
                    ]),
                }
            }
        }
    }
}
