//! Downloads that mean something (issue 62, item 6): a published resource's `downloads` counts
//! each visitor once per Colombian day — a signed-in account by its id, anyone else by the
//! client address (the trusted-proxy rule of `network::client_address`; an address nobody can
//! tell is one visitor) — and robots (a `User-Agent` naming a bot, crawler, spider…, or none)
//! never.
//!
//! Who downloaded is kept as a hash (`resource_downloads.visitor`), only for the day: rows of
//! earlier days are deleted as new ones arrive. A repeat is told by one read; only a first
//! download of the day writes (one insert that a concurrent twin cannot repeat, and the
//! counter's `UPDATE … + 1`).

use crate::entities::{resource, resource_download};
use crate::error::AppResult;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};
use std::net::IpAddr;

/// Who downloads, as the counter tells them apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Visitor {
    /// The hash of `account:{id}` or `address:{ip}` (`address:unknown`).
    key: String,
    robot: bool,
}

/// Words of a `User-Agent` that a robot announces itself with (lower case).
const ROBOT_WORDS: &[&str] = &[
    "bot",
    "crawl",
    "spider",
    "slurp",
    "scrap",
    "archiver",
    "preview",
    "facebookexternalhit",
    "headless",
    "lighthouse",
    "pingdom",
    "monitor",
    "python-requests",
    "python-urllib",
    "go-http-client",
    "curl/",
    "wget/",
    "libwww",
    "httpclient",
    "okhttp",
    "java/",
];

/// Whether `user_agent` is a robot's: none at all (browsers always send one), or one naming a
/// bot, crawler, spider, scraper, link preview, monitor or a bare HTTP library.
pub fn is_robot(user_agent: Option<&str>) -> bool {
    let Some(agent) = user_agent.map(str::trim).filter(|a| !a.is_empty()) else {
        return true;
    };
    let agent = agent.to_ascii_lowercase();
    ROBOT_WORDS.iter().any(|word| agent.contains(word))
}

impl Visitor {
    /// The visitor of a download: the signed-in `account`, else the client `address`.
    pub fn new(account: Option<i32>, address: Option<IpAddr>, user_agent: Option<&str>) -> Self {
        let who = match (account, address) {
            (Some(id), _) => format!("account:{id}"),
            (None, Some(ip)) => format!("address:{ip}"),
            (None, None) => "address:unknown".to_string(),
        };
        let hash = Sha256::digest(who.as_bytes());
        Visitor {
            key: hash[..16].iter().map(|b| format!("{b:02x}")).collect(),
            robot: is_robot(user_agent),
        }
    }

    pub fn is_robot(&self) -> bool {
        self.robot
    }
}

/// Counts a download of `resource_id` by `visitor`: once per day, never a robot's. Whether it
/// counted.
pub async fn count(
    db: &DatabaseConnection,
    resource_id: i32,
    visitor: &Visitor,
) -> AppResult<bool> {
    if visitor.robot {
        return Ok(false);
    }
    let today = crate::time::local(crate::time::now()).date_naive();
    let seen = resource_download::Entity::find()
        .filter(resource_download::Column::ResourceId.eq(resource_id))
        .filter(resource_download::Column::Visitor.eq(visitor.key.as_str()))
        .filter(resource_download::Column::Day.eq(today))
        .count(db)
        .await?
        > 0;
    if seen {
        return Ok(false);
    }
    crate::db::write(db, async |txn| {
        let inserted = resource_download::Entity::insert(resource_download::ActiveModel {
            resource_id: Set(resource_id),
            visitor: Set(visitor.key.clone()),
            day: Set(today),
        })
        .on_conflict(
            OnConflict::columns([
                resource_download::Column::ResourceId,
                resource_download::Column::Visitor,
                resource_download::Column::Day,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        if inserted == 0 {
            return Ok(false);
        }
        resource::Entity::update_many()
            .col_expr(
                resource::Column::Downloads,
                Expr::col(resource::Column::Downloads).add(1),
            )
            .filter(resource::Column::Id.eq(resource_id))
            .exec(txn)
            .await?;
        // Yesterday's visitors are no longer needed to tell today's apart.
        resource_download::Entity::delete_many()
            .filter(resource_download::Column::Day.lt(today))
            .exec(txn)
            .await?;
        Ok(true)
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn robots_are_told_by_their_user_agent() {
        for agent in [
            None,
            Some(""),
            Some("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"),
            Some("Mozilla/5.0 (compatible; bingbot/2.0)"),
            Some("Baiduspider+(+http://www.baidu.com/search/spider.htm)"),
            Some("Mozilla/5.0 (compatible; Yahoo! Slurp)"),
            Some("facebookexternalhit/1.1"),
            Some("AhrefsBot/7.0"),
            Some("curl/8.5.0"),
            Some("python-requests/2.31"),
            Some("Mozilla/5.0 HeadlessChrome/120.0"),
        ] {
            assert!(is_robot(agent), "{agent:?}");
        }
        for agent in [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
            "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ] {
            assert!(!is_robot(Some(agent)), "{agent}");
        }
    }

    #[test]
    fn an_account_is_one_visitor_wherever_it_downloads_from() {
        let here: IpAddr = "190.1.2.3".parse().unwrap();
        let there: IpAddr = "181.9.8.7".parse().unwrap();
        let ua = Some("Mozilla/5.0 Firefox/121.0");
        assert_eq!(
            Visitor::new(Some(7), Some(here), ua),
            Visitor::new(Some(7), Some(there), ua)
        );
        assert_ne!(
            Visitor::new(None, Some(here), ua),
            Visitor::new(None, Some(there), ua)
        );
        assert_ne!(
            Visitor::new(Some(7), None, ua),
            Visitor::new(Some(8), None, ua)
        );
        assert_eq!(Visitor::new(None, Some(here), ua).key.len(), 32);
    }
}
