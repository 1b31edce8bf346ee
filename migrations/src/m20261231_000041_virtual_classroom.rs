//! Issue 65: the virtual classroom. Aula Territorial is an LTI 1.3 platform; a learning
//! platform's course (ESAP's Moodle published with `enrol_lti`, or any LTI 1.3 tool) is a tool.
//!
//! - `lti_platform_keys`: the platform's RSA keys (RS256) that sign launches; the newest one
//!   not retired signs, every one not deleted stays in `/lti/jwks` (rotation does not break a
//!   launch in flight). The private key is PKCS#8 DER in base64, kept like the credentials' key.
//! - `lti_tools`: a tool registered by the admin (its URLs, its keys or where to read them,
//!   what it may learn of people and the services' scopes it was granted; JSON text lists).
//! - `lti_links`: a cohort's resource link to a tool (`resource_link_id` is opaque and unique).
//! - `lti_logins`: a launch begun (third-party initiated login): the message hint (its SHA-256)
//!   names the person, the link and the role; used once; `nonce` is unique per tool, so a
//!   replayed nonce is refused.
//! - `lti_assertions`: the `jti` of every client assertion accepted, unique per tool, until it
//!   expires.
//! - `lti_access_tokens`: service tokens (SHA-256 of the token), their tool, scopes and expiry.
//! - `lti_launches`: who launched which link when, with the session whose window it fell in.
//! - `lti_line_items`: AGS line items of a cohort: one per assessment (`assessment_id`), or
//!   created by a tool (`tool_id`) and mapped to an assessment by the coordinator.
//! - `lti_results`: the latest score a tool posted per line item and enrolment, with the
//!   tool's `timestamp` (an older one never overwrites a newer one).
//! - `cohort_sessions.modality` (null: the cohort's) and `cohort_sessions.lti_link_id`.

use crate::shapes::columns::{
    boolean, int, int_null, long_text, long_text_null, real, real_null, text, text_null,
};
use crate::shapes::{
    Cascade, SetNull, add_column, create_indexes, drop_column, drop_tables_if_exist, fk_id, id,
    index, timestamp, timestamp_null, unique,
};
use sea_orm_migration::prelude::*;

crate::shapes::migration_name!("m20261231_000041_virtual_classroom");

const TABLES: &[&str] = &[
    "lti_platform_keys",
    "lti_tools",
    "lti_links",
    "lti_logins",
    "lti_assertions",
    "lti_access_tokens",
    "lti_launches",
    "lti_line_items",
    "lti_results",
];

fn tables() -> Vec<TableCreateStatement> {
    vec![
        Table::create()
            .table("lti_platform_keys")
            .col(id())
            .col(ColumnDef::new("kid").string().not_null().unique_key())
            .col(long_text("private_key"))
            .col(long_text("public_jwk"))
            .col(timestamp("created_at"))
            .col(timestamp_null("retired_at"))
            .take(),
        Table::create()
            .table("lti_tools")
            .col(id())
            .col(text("name"))
            .col(ColumnDef::new("client_id").string().not_null().unique_key())
            .col(text("deployment_id"))
            .col(text("login_url"))
            .col(text("target_link_uri"))
            .col(long_text("redirect_uris"))
            .col(text_null("jwks_url"))
            .col(long_text_null("public_jwk"))
            .col(text_null("deep_link_url"))
            .col(boolean("share_name"))
            .col(boolean("share_email"))
            .col(long_text("scopes"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .foreign_key(&mut fk_id("lti_tools", "created_by", "users", SetNull))
            .take(),
        Table::create()
            .table("lti_links")
            .col(id())
            .col(int("cohort_id"))
            .col(int("tool_id"))
            .col(
                ColumnDef::new("resource_link_id")
                    .string()
                    .not_null()
                    .unique_key(),
            )
            .col(text("title"))
            .col(long_text_null("custom"))
            .col(int_null("created_by"))
            .col(timestamp("created_at"))
            .foreign_key(&mut fk_id("lti_links", "cohort_id", "cohorts", Cascade))
            .foreign_key(&mut fk_id("lti_links", "tool_id", "lti_tools", Cascade))
            .foreign_key(&mut fk_id("lti_links", "created_by", "users", SetNull))
            .take(),
        Table::create()
            .table("lti_logins")
            .col(id())
            .col(ColumnDef::new("hint_hash").string().not_null().unique_key())
            .col(int("tool_id"))
            .col(int("link_id"))
            .col(int("user_id"))
            .col(text("role"))
            .col(text_null("nonce"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .col(timestamp_null("used_at"))
            .foreign_key(&mut fk_id("lti_logins", "tool_id", "lti_tools", Cascade))
            .foreign_key(&mut fk_id("lti_logins", "link_id", "lti_links", Cascade))
            .foreign_key(&mut fk_id("lti_logins", "user_id", "users", Cascade))
            .take(),
        Table::create()
            .table("lti_assertions")
            .col(id())
            .col(int("tool_id"))
            .col(text("jti"))
            .col(timestamp("expires_at"))
            .foreign_key(&mut fk_id(
                "lti_assertions",
                "tool_id",
                "lti_tools",
                Cascade,
            ))
            .take(),
        Table::create()
            .table("lti_access_tokens")
            .col(
                ColumnDef::new("token_hash")
                    .string()
                    .not_null()
                    .primary_key(),
            )
            .col(int("tool_id"))
            .col(long_text("scopes"))
            .col(timestamp("created_at"))
            .col(timestamp("expires_at"))
            .foreign_key(&mut fk_id(
                "lti_access_tokens",
                "tool_id",
                "lti_tools",
                Cascade,
            ))
            .take(),
        Table::create()
            .table("lti_launches")
            .col(id())
            .col(int("link_id"))
            .col(int("cohort_id"))
            .col(int("user_id"))
            .col(int_null("participant_id"))
            .col(int_null("enrolment_id"))
            .col(text("role"))
            .col(int_null("session_id"))
            .col(timestamp("launched_at"))
            .foreign_key(&mut fk_id("lti_launches", "link_id", "lti_links", Cascade))
            .foreign_key(&mut fk_id("lti_launches", "cohort_id", "cohorts", Cascade))
            .foreign_key(&mut fk_id("lti_launches", "user_id", "users", Cascade))
            .foreign_key(&mut fk_id(
                "lti_launches",
                "session_id",
                "cohort_sessions",
                SetNull,
            ))
            .take(),
        Table::create()
            .table("lti_line_items")
            .col(id())
            .col(int("cohort_id"))
            .col(int_null("assessment_id"))
            .col(int_null("tool_id"))
            .col(text("label"))
            .col(real("score_maximum"))
            .col(text_null("resource_id"))
            .col(text_null("tag"))
            .col(text_null("resource_link_id"))
            .col(timestamp("created_at"))
            .foreign_key(&mut fk_id(
                "lti_line_items",
                "cohort_id",
                "cohorts",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "lti_line_items",
                "assessment_id",
                "assessments",
                SetNull,
            ))
            .foreign_key(&mut fk_id(
                "lti_line_items",
                "tool_id",
                "lti_tools",
                SetNull,
            ))
            .take(),
        Table::create()
            .table("lti_results")
            .col(id())
            .col(int("line_item_id"))
            .col(int("enrolment_id"))
            .col(real_null("score_given"))
            .col(real("score_maximum"))
            .col(text("activity_progress"))
            .col(text("grading_progress"))
            .col(long_text_null("comment"))
            .col(timestamp("timestamp"))
            .col(int_null("tool_id"))
            .col(timestamp("recorded_at"))
            .foreign_key(&mut fk_id(
                "lti_results",
                "line_item_id",
                "lti_line_items",
                Cascade,
            ))
            .foreign_key(&mut fk_id(
                "lti_results",
                "enrolment_id",
                "enrolments",
                Cascade,
            ))
            .foreign_key(&mut fk_id("lti_results", "tool_id", "lti_tools", SetNull))
            .take(),
    ]
}

fn indexes() -> Vec<IndexCreateStatement> {
    vec![
        index("lti_links", &["cohort_id"]),
        index("lti_links", &["tool_id"]),
        unique("lti_logins", &["tool_id", "nonce"]),
        index("lti_logins", &["expires_at"]),
        unique("lti_assertions", &["tool_id", "jti"]),
        index("lti_assertions", &["expires_at"]),
        index("lti_access_tokens", &["expires_at"]),
        index("lti_launches", &["cohort_id", "launched_at"]),
        index("lti_launches", &["session_id"]),
        index("lti_line_items", &["cohort_id"]),
        index("lti_line_items", &["assessment_id"]),
        unique("lti_results", &["line_item_id", "enrolment_id"]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        create_indexes(manager, indexes()).await?;
        add_column(manager, "cohort_sessions", text_null("modality")).await?;
        add_column(manager, "cohort_sessions", int_null("lti_link_id")).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "cohort_sessions", "lti_link_id").await?;
        drop_column(manager, "cohort_sessions", "modality").await?;
        let dependents_first: Vec<&'static str> = TABLES.iter().rev().copied().collect();
        drop_tables_if_exist(manager, &dependents_first).await
    }
}
