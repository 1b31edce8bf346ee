//! The confirmation page before an irreversible or far-reaching action (issue 45): the
//! question, what will happen with the facts of this case (a list, each fact with its own
//! details — the sessions ahead, the names…), the button that does it and the way back.
//!
//! One pattern for every such action: the `GET` of the action's page shows the confirmation;
//! its form posts the action's fields plus `confirmed=true`; a post without `confirmed` does
//! nothing and answers the same confirmation (so a stale form or a hand-made request never acts
//! blind). Every destructive button is a `button.danger`.
//!
//! ```text
//! Confirmation::new(question, action, button, back).fact(text).list(text, items)
//!     .hidden(name, value).reason(label, required, typed).render(&page, title)
//! ```
//!
//! `.ask(name, label, required, typed)` asks for another line of text than the reason (an
//! approval's act).

use super::{Page, PageResult};
use serde::Serialize;

/// The field a confirmation's form adds; the action runs only with it.
pub const CONFIRMED_FIELD: &str = "confirmed";

/// A confirmation page, built fact by fact.
#[derive(Serialize)]
pub struct Confirmation {
    question: String,
    consequences: Vec<Consequence>,
    action: String,
    button: String,
    back: String,
    hidden: Vec<Hidden>,
    reason: Option<Reason>,
    /// The button looks destructive (all but an action that restores something).
    danger: bool,
    /// Nothing to confirm: the action is refused now (e.g. the weights do not sum 100 %); the
    /// page says why and offers no button.
    refused: Option<String>,
}

/// One thing the action will do, with the facts it lists (may be empty).
#[derive(Serialize)]
struct Consequence {
    text: String,
    items: Vec<String>,
}

#[derive(Serialize)]
struct Hidden {
    name: &'static str,
    value: String,
}

/// A reason asked for with the confirmation (sent as `reason`), or another line of text the
/// action needs (an approval's act, sent under its own name).
#[derive(Serialize)]
struct Reason {
    /// The field's name (its problems are shown beside it under this name).
    name: &'static str,
    label: String,
    required: bool,
    /// What was typed, when the form comes back without the confirmation.
    value: String,
}

impl Confirmation {
    /// «¿`question`?», posting to `action` with `button`, or back to `back`.
    pub fn new(
        question: impl Into<String>,
        action: impl Into<String>,
        button: impl Into<String>,
        back: impl Into<String>,
    ) -> Self {
        Confirmation {
            question: question.into(),
            consequences: Vec::new(),
            action: action.into(),
            button: button.into(),
            back: back.into(),
            hidden: Vec::new(),
            reason: None,
            danger: true,
            refused: None,
        }
    }

    /// A consequence said in one sentence.
    pub fn fact(self, text: impl Into<String>) -> Self {
        self.list(text, Vec::new())
    }

    /// A consequence with the facts it lists (the sessions, the names…).
    pub fn list(mut self, text: impl Into<String>, items: Vec<String>) -> Self {
        self.consequences.push(Consequence {
            text: text.into(),
            items,
        });
        self
    }

    /// A field the action needs, sent back as is.
    pub fn hidden(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.hidden.push(Hidden {
            name,
            value: value.into(),
        });
        self
    }

    /// Asks for the reason (`reason`), labelled `label`, holding `typed` (what a form posted
    /// without the confirmation carried).
    pub fn reason(self, label: impl Into<String>, required: bool, typed: &str) -> Self {
        self.ask("reason", label, required, typed)
    }

    /// Asks for one line of text sent as `name` (an approval's `act`), labelled `label`,
    /// holding `typed`.
    pub fn ask(
        mut self,
        name: &'static str,
        label: impl Into<String>,
        required: bool,
        typed: &str,
    ) -> Self {
        self.reason = Some(Reason {
            name,
            label: label.into(),
            required,
            value: typed.to_string(),
        });
        self
    }

    /// The action restores rather than destroys (reopening): a plain button.
    pub fn restoring(mut self) -> Self {
        self.danger = false;
        self
    }

    /// The action cannot be done now, for `why`: no button.
    pub fn refused(mut self, why: Option<String>) -> Self {
        self.refused = why;
        self
    }

    pub fn render(self, page: &Page<'_>, title: &str) -> PageResult {
        page.render("confirm", title, self)
    }

    /// The confirmation again for an action the rules refused once confirmed (a reason left
    /// empty): the problems at the top and beside the reason, as every refused form
    /// (`docs/INTERFACE.md`).
    pub fn render_refused(
        self,
        page: &Page<'_>,
        title: &str,
        errors: &[domain::error::FieldError],
    ) -> PageResult {
        page.render_refused("confirm", title, self, errors)
    }
}
