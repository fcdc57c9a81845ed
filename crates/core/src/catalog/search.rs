//! Search as you type over product names, SKUs and brands, through the
//! `products_fts` full-text index. User text never reaches FTS5 syntax: it
//! is cut into word tokens, each quoted and searched as a prefix.

use crate::catalog::{Product, ProductRow, PRODUCT_COLUMNS};
use crate::error::Result;
use crate::store::Store;

/// At most this many words of a query are searched.
const MAX_TOKENS: usize = 12;
/// Longer words are cut to this many characters.
const MAX_TOKEN_CHARS: usize = 64;

/// What to search and how many hits to return.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSearch {
    pub text: String,
    pub include_archived: bool,
    /// At most this many products (1 to 200).
    pub limit: u32,
}

impl ProductSearch {
    /// Active products matching `text`, at most `limit`.
    pub fn new(text: &str, limit: u32) -> ProductSearch {
        ProductSearch {
            text: text.to_string(),
            include_archived: false,
            limit,
        }
    }
}

/// Combining marks that Rust counts as alphabetic but the index's tokenizer
/// treats as separators; a word of them alone would match nothing.
fn is_combining_mark(c: char) -> bool {
    matches!(
        c,
        '\u{0300}'..='\u{036F}' | '\u{1AB0}'..='\u{1AFF}' | '\u{1DC0}'..='\u{1DFF}' | '\u{20D0}'..='\u{20FF}' | '\u{FE20}'..='\u{FE2F}'
    )
}

/// The FTS5 query for user `text`: every run of letters and digits becomes a
/// quoted prefix term (`"cre"*`), all terms must match. `None` when the text
/// holds no word at all (only spaces, punctuation or quotes).
/// Matches ranked per search; see [`Store::search_products`].
pub const RANKED_CANDIDATES: u32 = 400;

pub(crate) fn fts_query(text: &str) -> Option<String> {
    let terms: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.chars().any(|c| c.is_alphanumeric() && !is_combining_mark(c)))
        .take(MAX_TOKENS)
        .map(|word| {
            let word: String = word.chars().take(MAX_TOKEN_CHARS).collect();
            // Words hold no quotes after the split; escaping stays in case
            // the split ever lets one through.
            format!("\"{}\"*", word.replace('"', "\"\""))
        })
        .collect();
    if terms.is_empty() {
        None
    } else {
        Some(terms.join(" AND "))
    }
}

impl Store {
    /// Products whose name, SKU or brand has words starting with every word
    /// of the search text (letter case and accents ignored). A product whose
    /// SKU equals the whole text comes first, then the best matches by BM25.
    /// Text without any word returns no products, never an error.
    ///
    /// Only the first [`RANKED_CANDIDATES`] matches are ranked: a one- or
    /// two-letter prefix can match most of a large catalog, and scoring all
    /// of it on every keystroke costs tens of milliseconds. Once a few
    /// letters are typed, matches fall under the bound and the ranking is
    /// exact.
    pub async fn search_products(&self, search: &ProductSearch) -> Result<Vec<Product>> {
        let Some(query) = fts_query(&search.text) else {
            return Ok(Vec::new());
        };
        let filter = if search.include_archived { "1" } else { "p.active = 1" };
        // Column weights: name, sku, brand. An exact SKU scores below any
        // BM25 value (BM25 is negative, lower is better), so it comes first.
        // CROSS JOIN keeps SQLite from walking every active product through
        // an index on `active` and probing the candidates (11 ms on 100k).
        let sql = format!(
            "WITH hits AS (
                 SELECT rowid, bm25(products_fts, 4.0, 2.0, 1.0) AS score
                 FROM products_fts WHERE products_fts MATCH ?1 LIMIT {RANKED_CANDIDATES}),
             candidates AS (
                 SELECT rowid, min(score) AS score FROM (
                     SELECT rowid, score FROM hits
                     UNION ALL
                     SELECT rowid, -1e300 FROM products WHERE sku = ?2 COLLATE NOCASE)
                 GROUP BY rowid)
             SELECT {PRODUCT_COLUMNS}
             FROM candidates c CROSS JOIN products p ON p.rowid = c.rowid
             WHERE {filter}
             ORDER BY c.score, p.id
             LIMIT ?3"
        );
        let rows: Vec<ProductRow> = sqlx::query_as(&sql)
            .bind(query)
            .bind(search.text.trim())
            .bind(i64::from(search.limit.clamp(1, 200)))
            .fetch_all(self.reader())
            .await?;
        rows.into_iter().map(Product::try_from).collect()
    }
}

/// One page of a search, with the number of products matching in all (for
/// a virtualised list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProductSearchPage {
    pub total: u64,
    pub products: Vec<Product>,
}

impl Store {
    /// A page of active products matching `text`, for lists that scroll
    /// through every match. Text without any word lists every active
    /// product by name. Up to [`RANKED_CANDIDATES`] matches are ranked as in
    /// [`Store::search_products`]; more matches than that are listed by name
    /// (an exact SKU first), so pages of one query always follow one order.
    pub async fn search_product_page(&self, text: &str, offset: u32, limit: u32) -> Result<ProductSearchPage> {
        let limit = i64::from(limit.clamp(1, 500));
        let offset = i64::from(offset);
        let Some(query) = fts_query(text) else {
            let total: i64 = sqlx::query_scalar("SELECT count(*) FROM products WHERE active = 1")
                .fetch_one(self.reader())
                .await?;
            let sql = format!(
                "SELECT {PRODUCT_COLUMNS} FROM products p WHERE p.active = 1
                 ORDER BY p.name COLLATE NOCASE, p.id LIMIT ?1 OFFSET ?2"
            );
            let rows: Vec<ProductRow> = sqlx::query_as(&sql)
                .bind(limit)
                .bind(offset)
                .fetch_all(self.reader())
                .await?;
            let products = rows.into_iter().map(Product::try_from).collect::<Result<_>>()?;
            return Ok(ProductSearchPage {
                total: total as u64,
                products,
            });
        };
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM products_fts f CROSS JOIN products p ON p.rowid = f.rowid
             WHERE products_fts MATCH ?1 AND p.active = 1",
        )
        .bind(&query)
        .fetch_one(self.reader())
        .await?;
        let sql = if total <= i64::from(RANKED_CANDIDATES) {
            format!(
                "WITH hits AS (
                     SELECT rowid, bm25(products_fts, 4.0, 2.0, 1.0) AS score
                     FROM products_fts WHERE products_fts MATCH ?1),
                 candidates AS (
                     SELECT rowid, min(score) AS score FROM (
                         SELECT rowid, score FROM hits
                         UNION ALL
                         SELECT rowid, -1e300 FROM products WHERE sku = ?2 COLLATE NOCASE)
                     GROUP BY rowid)
                 SELECT {PRODUCT_COLUMNS}
                 FROM candidates c CROSS JOIN products p ON p.rowid = c.rowid
                 WHERE p.active = 1
                 ORDER BY c.score, p.id
                 LIMIT ?3 OFFSET ?4"
            )
        } else {
            format!(
                "SELECT {PRODUCT_COLUMNS}
                 FROM products_fts f CROSS JOIN products p ON p.rowid = f.rowid
                 WHERE products_fts MATCH ?1 AND p.active = 1
                 ORDER BY p.sku = ?2 COLLATE NOCASE DESC, p.name COLLATE NOCASE, p.id
                 LIMIT ?3 OFFSET ?4"
            )
        };
        let rows: Vec<ProductRow> = sqlx::query_as(&sql)
            .bind(&query)
            .bind(text.trim())
            .bind(limit)
            .bind(offset)
            .fetch_all(self.reader())
            .await?;
        let products = rows.into_iter().map(Product::try_from).collect::<Result<_>>()?;
        Ok(ProductSearchPage {
            total: total as u64,
            products,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_text_becomes_quoted_prefix_terms() {
        assert_eq!(fts_query("crè fra").as_deref(), Some(r#""crè"* AND "fra"*"#));
        assert_eq!(fts_query("ABC-12").as_deref(), Some(r#""ABC"* AND "12"*"#));
        assert_eq!(
            fts_query(r#"say "NEAR" OR not"#).as_deref(),
            Some(r#""say"* AND "NEAR"* AND "OR"* AND "not"*"#)
        );
        assert_eq!(fts_query("日本茶").as_deref(), Some(r#""日本茶"*"#));
        assert_eq!(fts_query(""), None);
        assert_eq!(fts_query(r#" "" ' - * ( ) "#), None);
        assert_eq!(fts_query("\u{0345}"), None);
    }

    proptest! {
        #[test]
        fn terms_are_always_well_formed(text in any::<String>()) {
            if let Some(query) = fts_query(&text) {
                for term in query.split(" AND ") {
                    prop_assert!(term.starts_with('"') && term.ends_with("\"*"));
                    prop_assert!(!term[1..term.len() - 2].contains('"'));
                }
            }
        }
    }
}
