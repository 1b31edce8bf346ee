//! `aula-territorial seed --synthetic accounts`: API accounts for synthetic people, for load
//! tests that need many different participants acting at once (issue 36's enrolment day).
//!
//! Picks the departments with the most synthetic people who have no account yet, takes the
//! same number of people from each, gives each an account (role participant, an address under
//! the demo domain, a password nobody knows: they cannot sign in on the pages) and an API
//! token. The tokens are returned once, as for any token; only their hashes are stored.

use super::{BATCH, PREFIX};
use crate::accounts::secrets;
use crate::entities::values::{DocumentType, Role};
use crate::entities::{api_token, municipality, participant, user};
use crate::error::{AppError, AppResult};
use chrono::Duration;
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use std::collections::{BTreeMap, HashMap};

/// The most accounts one run makes (a bound, like every list the product takes).
pub const MAX_ACCOUNTS: usize = 20_000;

/// One synthetic person with an account, and the token to act as them.
#[derive(Debug, Clone)]
pub struct Account {
    pub participant_id: i32,
    pub municipality_code: String,
    pub department_code: String,
    pub token: String,
}

/// `per_department` people from each of the `departments` departments with the most synthetic
/// people still without an account, each with an account and an API token.
pub async fn create(
    db: &DatabaseConnection,
    departments: usize,
    per_department: usize,
) -> AppResult<Vec<Account>> {
    if departments == 0 || per_department == 0 || departments * per_department > MAX_ACCOUNTS {
        return Err(AppError::invalid(
            "accounts",
            format!("Pida entre 1 y {MAX_ACCOUNTS} cuentas."),
        ));
    }
    crate::db::write(db, async |txn| {
        let department_of: HashMap<String, String> = municipality::Entity::find()
            .select_only()
            .column(municipality::Column::Code)
            .column(municipality::Column::DepartmentCode)
            .into_tuple::<(String, String)>()
            .all(txn)
            .await?
            .into_iter()
            .collect();
        let people: Vec<(i32, String)> = participant::Entity::find()
            .select_only()
            .column(participant::Column::Id)
            .column(participant::Column::MunicipalityCode)
            .filter(participant::Column::DocumentNumber.starts_with(PREFIX))
            .filter(participant::Column::DocumentType.eq(DocumentType::Cc))
            .filter(participant::Column::UserId.is_null())
            .order_by_asc(participant::Column::Id)
            .into_tuple()
            .all(txn)
            .await?;
        let mut by_department: BTreeMap<&str, Vec<&(i32, String)>> = BTreeMap::new();
        for person in &people {
            if let Some(department) = department_of.get(&person.1) {
                by_department.entry(department).or_default().push(person);
            }
        }
        let mut ranked: Vec<(&str, Vec<&(i32, String)>)> = by_department.into_iter().collect();
        ranked.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
        ranked.retain(|(_, people)| people.len() >= per_department);
        if ranked.len() < departments {
            return Err(AppError::Conflict(format!(
                "Solo {} departamentos tienen {per_department} personas sintéticas sin cuenta: genere antes los datos sintéticos.",
                ranked.len()
            )));
        }
        let chosen: Vec<(String, i32, String)> = ranked
            .into_iter()
            .take(departments)
            .flat_map(|(department, people)| {
                people
                    .into_iter()
                    .take(per_department)
                    .map(move |(id, municipality)| (department.to_string(), *id, municipality.clone()))
            })
            .collect();

        let at = crate::time::now();
        let unusable = format!("sin-clave-{}", secrets::random_hex());
        let email = |id: i32| format!("sintetica-{id}@aulaterritorial.example");
        let mut rows = Vec::with_capacity(chosen.len());
        for (_, id, _) in &chosen {
            rows.push(user::ActiveModel {
                email: Set(email(*id)),
                password_hash: Set(unusable.clone()),
                full_name: Set(format!("Persona sintética {id}")),
                role: Set(Role::Participant),
                department_code: Set(None),
                territorial_direction_id: Set(None),
                municipality_code: Set(None),
                active: Set(true),
                created_at: Set(at),
                updated_at: Set(at),
                last_login_at: Set(None),
                provider_id: Set(None),
                ..Default::default()
            });
        }
        super::insert_all(txn, rows).await?;
        let emails: Vec<String> = chosen.iter().map(|(_, id, _)| email(*id)).collect();
        let mut user_of: HashMap<String, i32> = HashMap::new();
        for chunk in emails.chunks(BATCH) {
            let found: Vec<(i32, String)> = user::Entity::find()
                .select_only()
                .column(user::Column::Id)
                .column(user::Column::Email)
                .filter(user::Column::Email.is_in(chunk.to_vec()))
                .into_tuple()
                .all(txn)
                .await?;
            user_of.extend(found.into_iter().map(|(id, email)| (email, id)));
        }
        let mut accounts = Vec::with_capacity(chosen.len());
        let mut tokens = Vec::with_capacity(chosen.len());
        for (department, id, municipality) in chosen {
            let user_id = *user_of
                .get(&email(id))
                .ok_or_else(|| AppError::Internal("cuenta sintética sin fila".into()))?;
            participant::Entity::update_many()
                .col_expr(participant::Column::UserId, user_id.into())
                .filter(participant::Column::Id.eq(id))
                .exec(txn)
                .await?;
            let token = secrets::random_token();
            tokens.push(api_token::ActiveModel {
                user_id: Set(user_id),
                token_hash: Set(secrets::token_hash(&token)),
                created_at: Set(at),
                expires_at: Set(at + Duration::days(crate::accounts::sign_in::TOKEN_DAYS)),
                revoked_at: Set(None),
                last_used_at: Set(None),
                ..Default::default()
            });
            accounts.push(Account {
                participant_id: id,
                municipality_code: municipality,
                department_code: department,
                token,
            });
        }
        super::insert_all(txn, tokens).await?;
        Ok(accounts)
    })
    .await
}
