//! Issue 67, item 5: habeas data (Ley 1581 de 2012).
//!
//! - `data_requests`: what a person asked (`consulta`, `revocacion`, `supresion`), why, the
//!   day she asked and the day it is due (15 business days), and how the administrator
//!   resolved it (`accepted`/`rejected`, note, who, when). At most one pending request of a
//!   kind per person (partial unique index, same SQL on both engines).
//! - `consents.source`, `consents.declared_by`: where an authorization comes from when the
//!   person did not tick it herself (`import`: the importer declared it, with the source text
//!   she gave in `source_detail`).
//! - `participants.anonymised_at`: when the person's data were suppressed (supresión accepted
//!   or the retention term passed); her counts stay.

use crate::shapes::{
    Cascade, References, SetNull, add_column, create_indexes, drop_column, drop_tables_if_exist,
    execute_all, id, index, migration_name, one_of, timestamp, timestamp_null,
};
use sea_orm_migration::prelude::*;

migration_name!("m20270102_000043_habeas_data");

const ONE_PENDING_OF_A_KIND: &str = "CREATE UNIQUE INDEX uq_data_requests_pending \
     ON data_requests (participant_id, kind) WHERE status = 'pending'";

fn data_requests() -> TableCreateStatement {
    Table::create()
        .table("data_requests")
        .col(id())
        .col(ColumnDef::new("participant_id").integer().not_null())
        .col(one_of("kind", &["consulta", "revocacion", "supresion"]))
        .col(ColumnDef::new("reason").text().null())
        .col(one_of("status", &["pending", "accepted", "rejected"]))
        .col(timestamp("requested_at"))
        .col(ColumnDef::new("requested_on").date().not_null())
        .col(ColumnDef::new("due_on").date().not_null())
        .col(timestamp_null("resolved_at"))
        .col(ColumnDef::new("resolved_by").integer().null())
        .col(ColumnDef::new("resolution_note").text().null())
        .refs("participant_id", "participants", Cascade)
        .refs("resolved_by", "users", SetNull)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(data_requests()).await?;
        create_indexes(
            manager,
            vec![
                index("data_requests", &["status", "due_on"]),
                index("data_requests", &["participant_id"]),
            ],
        )
        .await?;
        execute_all(manager.get_connection(), [ONE_PENDING_OF_A_KIND]).await?;
        add_column(
            manager,
            "consents",
            ColumnDef::new("source").string_len(40).null(),
        )
        .await?;
        add_column(
            manager,
            "consents",
            ColumnDef::new("source_detail").text().null(),
        )
        .await?;
        add_column(
            manager,
            "consents",
            ColumnDef::new("declared_by").integer().null(),
        )
        .await?;
        add_column(manager, "participants", timestamp_null("anonymised_at")).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_column(manager, "participants", "anonymised_at").await?;
        drop_column(manager, "consents", "declared_by").await?;
        drop_column(manager, "consents", "source_detail").await?;
        drop_column(manager, "consents", "source").await?;
        drop_tables_if_exist(manager, &["data_requests"]).await
    }
}
