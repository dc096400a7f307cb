//! What both engines do to the outside world while handling one input: the outputs they
//! collect, the connection state they report, and the storage keys they write.

use super::{ConnState, Level, Outbox, Output, Transcript, UiEvent, MAX_MESSAGE_CHARS};

pub(crate) struct Effects {
    prefix: String,
    pub(crate) state: ConnState,
    out: Vec<Output>,
    /// Where in `out` each key's pending write is: one input (a replay of thousands of
    /// events, say) writes each key once, with its last value.
    writes: crate::strmap::StrMap,
    /// The transcript changed during this input: it is written once, at the end.
    transcript_dirty: bool,
}

impl Effects {
    pub(crate) fn new(prefix: &str) -> Effects {
        Effects {
            prefix: prefix.to_string(),
            state: ConnState::Idle,
            out: Vec::new(),
            writes: crate::strmap::StrMap::new(),
            transcript_dirty: false,
        }
    }

    /// `<prefix>:<name>`: every key of one widget shares the prefix.
    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    pub(crate) fn push(&mut self, output: Output) {
        let key = match &output {
            Output::Persist { key, .. } | Output::PersistSession { key, .. } => Some(key.clone()),
            _ => None,
        };
        match key {
            Some(key) => match self.writes.get(&key) {
                // A later value of a key already being written replaces it.
                Some(at) => self.out[at] = output,
                None => {
                    self.writes.insert(key, self.out.len());
                    self.out.push(output);
                }
            },
            None => self.out.push(output),
        }
    }

    /// The outputs of the input just handled; the transcript, if it changed, written once.
    pub(crate) fn take(&mut self, transcript: &Transcript) -> Vec<Output> {
        if std::mem::take(&mut self.transcript_dirty) {
            self.persist("transcript", Some(transcript.to_json()));
        }
        self.writes.clear();
        std::mem::take(&mut self.out)
    }

    pub(crate) fn set_state(&mut self, state: ConnState) {
        if self.state != state {
            self.state = state;
            self.emit(UiEvent::State(state));
        }
    }

    pub(crate) fn emit(&mut self, event: UiEvent) {
        self.out.push(Output::Ui(event));
    }

    /// Streamed `text` for message `id`. Text streamed onto the same message one piece after
    /// another is one append, and a long answer costs no copy of the id per piece.
    pub(crate) fn append(&mut self, id: &str, text: &str) {
        if let Some(Output::Ui(UiEvent::Append {
            id: last,
            text: so_far,
        })) = self.out.last_mut()
        {
            if last == id {
                so_far.push_str(text);
                return;
            }
        }
        self.out.push(Output::Ui(UiEvent::Append {
            id: id.to_string(),
            text: text.to_string(),
        }));
    }

    pub(crate) fn log(&mut self, level: Level, message: String) {
        self.out.push(Output::Log(level, message));
    }

    pub(crate) fn persist(&mut self, name: &str, value: Option<String>) {
        let key = self.key(name);
        self.push(Output::Persist { key, value });
    }

    /// The transcript changed: it is written when the input has been handled.
    pub(crate) fn transcript_changed(&mut self) {
        self.transcript_dirty = true;
    }

    /// An empty outbox is removed rather than stored.
    pub(crate) fn persist_outbox(&mut self, outbox: &Outbox) {
        let value = (!outbox.is_empty()).then(|| outbox.to_json());
        self.persist("outbox", value);
    }

    /// Refuses a visitor message over the length limit, saying why; true when refused.
    pub(crate) fn refuse_too_long(&mut self, text: &str) -> bool {
        let chars = text.chars().count();
        if chars <= MAX_MESSAGE_CHARS {
            return false;
        }
        self.emit(UiEvent::Error {
            code: "message_too_long",
            message: format!(
                "This message is {chars} characters long; the limit is {MAX_MESSAGE_CHARS}. Nothing was sent."
            ),
        });
        true
    }
}
