//! Issue 68, item 3: the key positions (cargos clave) of each alcaldía and their rotation.
//!
//! - `key_positions`: one position of a municipality's alcaldía that holds a capacity (its
//!   title, the capacity it matches) and who holds it now: a person of the product
//!   (`holder_participant_id`) or only a name (`holder_name`), the appointment type and the
//!   day of possession (`since`); all four empty while the position is vacant.
//! - `key_position_departures`: each holder who left (the day, the reason), whether they were
//!   certified in the position's capacity when they left, who recorded it.

use crate::shapes::{
    Cascade, References, Restrict, SetNull, create_indexes, drop_tables_if_exist, id, index,
    migration_name, timestamp,
};
use sea_orm_migration::prelude::*;

migration_name!("m20270104_000045_key_positions");

const APPOINTMENTS: [&str; 5] = [
    "carrera",
    "libre_nombramiento",
    "provisional",
    "contrato",
    "periodo",
];

fn key_positions() -> TableCreateStatement {
    Table::create()
        .table("key_positions")
        .col(id())
        .col(ColumnDef::new("municipality_code").string_len(5).not_null())
        .col(ColumnDef::new("title").string_len(160).not_null())
        .col(ColumnDef::new("capacity_id").integer().not_null())
        .col(ColumnDef::new("holder_participant_id").integer().null())
        .col(ColumnDef::new("holder_name").string_len(200).null())
        .col(
            ColumnDef::new("appointment").string_len(30).null().check(
                Expr::col("appointment")
                    .is_null()
                    .or(Expr::col("appointment").is_in(APPOINTMENTS)),
            ),
        )
        .col(ColumnDef::new("since").date().null())
        .col(timestamp("created_at"))
        .col(timestamp("updated_at"))
        .refs_col("municipality_code", "municipalities", "code", Cascade)
        .refs("capacity_id", "capacities", Restrict)
        .refs("holder_participant_id", "participants", SetNull)
        .take()
}

fn key_position_departures() -> TableCreateStatement {
    Table::create()
        .table("key_position_departures")
        .col(id())
        .col(ColumnDef::new("position_id").integer().not_null())
        .col(ColumnDef::new("holder_participant_id").integer().null())
        .col(ColumnDef::new("holder_name").string_len(200).null())
        .col(ColumnDef::new("appointment").string_len(30).null())
        .col(ColumnDef::new("since").date().null())
        .col(ColumnDef::new("left_on").date().not_null())
        .col(ColumnDef::new("reason").text().null())
        .col(ColumnDef::new("certified").boolean().not_null())
        .col(ColumnDef::new("recorded_by").integer().null())
        .col(timestamp("recorded_at"))
        .refs("position_id", "key_positions", Cascade)
        .refs("holder_participant_id", "participants", SetNull)
        .refs("recorded_by", "users", SetNull)
        .take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(key_positions()).await?;
        manager.create_table(key_position_departures()).await?;
        create_indexes(
            manager,
            vec![
                index("key_positions", &["municipality_code"]),
                index("key_positions", &["holder_participant_id"]),
                index("key_position_departures", &["position_id", "left_on"]),
            ],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables_if_exist(manager, &["key_position_departures", "key_positions"]).await
    }
}
