//! Every string the widget's own UI shows, in one catalogue: English, Spanish, French,
//! German, Arabic and Hebrew. `data-lang`, else the browser's language, picks one; Arabic and
//! Hebrew lay the panel out right to left.

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
