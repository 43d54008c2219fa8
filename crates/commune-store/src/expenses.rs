//! Budgets with line items, expenses, stewards' approvals and receipts. A status change is a
//! compare-and-set on the status, so two stewards racing to pay one expense pay it once.

use crate::{Result, Store, WriteTx};
use serde_json::json;
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Budget {
    pub id: String,
    pub org_id: String,
    pub name: String,
    /// What the budget is for within the organisation (empty: the organisation as a whole).
    pub project: String,
    pub currency: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub created_by: String,
    pub created_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BudgetLine {
    pub id: String,
    pub budget_id: String,
    pub name: String,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expense {
    pub id: String,
    pub org_id: String,
    pub submitter_id: String,
    pub title: String,
    pub description: String,
    pub amount_minor: i64,
    pub currency: String,
    pub line_id: Option<String>,
    /// `draft`, `pending`, `approved`, `rejected`, `paid` or `cancelled`.
    pub status: String,
    /// The weighted vote deciding it, at or above the threshold.
    pub proposal_id: Option<String>,
    pub paid_by: Option<String>,
    pub transfer_id: Option<String>,
    /// Why it was rejected or cancelled.
    pub note: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Receipt {
    pub id: String,
    pub expense_id: String,
    pub content_type: String,
    pub sha256: String,
    pub size: i64,
    pub uploaded_by: String,
    pub created_at: i64,
}

pub struct NewBudget<'a> {
    pub org_id: &'a str,
    pub name: &'a str,
    pub project: &'a str,
    pub currency: &'a str,
    pub starts_at: i64,
    pub ends_at: i64,
    /// (name, amount in minor units), in order.
    pub lines: &'a [(String, u64)],
}

pub struct NewExpense<'a> {
    pub org_id: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub amount_minor: u64,
    pub currency: &'a str,
    pub line_id: Option<&'a str>,
}

const EXPENSE: &str = "id, org_id, submitter_id, title, description, amount_minor, currency, line_id, status, proposal_id, paid_by, transfer_id, note, created_at, updated_at";

fn expense(r: &AnyRow) -> Result<Expense> {
    Ok(Expense {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        submitter_id: r.try_get("submitter_id")?,
        title: r.try_get("title")?,
        description: r.try_get("description")?,
        amount_minor: r.try_get("amount_minor")?,
        currency: r.try_get("currency")?,
        line_id: r.try_get("line_id")?,
        status: r.try_get("status")?,
        proposal_id: r.try_get("proposal_id")?,
        paid_by: r.try_get("paid_by")?,
        transfer_id: r.try_get("transfer_id")?,
        note: r.try_get("note")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn budget(r: &AnyRow) -> Result<Budget> {
    Ok(Budget {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        name: r.try_get("name")?,
        project: r.try_get("project")?,
        currency: r.try_get("currency")?,
        starts_at: r.try_get("starts_at")?,
        ends_at: r.try_get("ends_at")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
    })
}

impl Store {
    /// An organisation's budgets (newest period first, at most 200) with their lines.
    pub async fn budgets_of(&self, org_id: &str) -> Result<Vec<(Budget, Vec<BudgetLine>)>> {
        let rows = sqlx::query(
            "SELECT id, org_id, name, project, currency, starts_at, ends_at, created_by, created_at FROM budgets
             WHERE org_id = $1 ORDER BY starts_at DESC, id LIMIT 200",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        let mut out = Vec::new();
        for row in &rows {
            let b = budget(row)?;
            let lines = self.budget_lines(&b.id).await?;
            out.push((b, lines));
        }
        Ok(out)
    }

    pub async fn budget_lines(&self, budget_id: &str) -> Result<Vec<BudgetLine>> {
        let rows = sqlx::query(
            "SELECT id, budget_id, name, amount_minor FROM budget_lines WHERE budget_id = $1 ORDER BY position LIMIT 200",
        )
        .bind(budget_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(BudgetLine {
                    id: r.try_get(0)?,
                    budget_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    amount_minor: r.try_get(3)?,
                })
            })
            .collect()
    }

    /// A budget line with its budget's organisation and currency.
    pub async fn budget_line(&self, id: &str) -> Result<Option<(BudgetLine, String, String)>> {
        let row = sqlx::query(
            "SELECT l.id, l.budget_id, l.name, l.amount_minor, b.org_id, b.currency FROM budget_lines l
             JOIN budgets b ON b.id = l.budget_id WHERE l.id = $1",
        )
        .bind(id)
        .fetch_optional(self.reader())
        .await?;
        row.map(|r| {
            Ok((
                BudgetLine {
                    id: r.try_get(0)?,
                    budget_id: r.try_get(1)?,
                    name: r.try_get(2)?,
                    amount_minor: r.try_get(3)?,
                },
                r.try_get(4)?,
                r.try_get(5)?,
            ))
        })
        .transpose()
    }

    pub async fn expense(&self, id: &str) -> Result<Option<Expense>> {
        let sql = format!("SELECT {EXPENSE} FROM expenses WHERE id = $1");
        sqlx::query(&sql).bind(id).fetch_optional(self.reader()).await?.as_ref().map(expense).transpose()
    }

    /// An organisation's expenses, newest first (at most 500).
    pub async fn expenses_of(&self, org_id: &str) -> Result<Vec<Expense>> {
        let sql = format!("SELECT {EXPENSE} FROM expenses WHERE org_id = $1 ORDER BY created_at DESC, id LIMIT 500");
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(expense).collect()
    }

    /// Expenses charged to a budget line (at most 1,000).
    pub async fn expenses_on_line(&self, line_id: &str) -> Result<Vec<Expense>> {
        let sql = format!("SELECT {EXPENSE} FROM expenses WHERE line_id = $1 ORDER BY created_at LIMIT 1000");
        sqlx::query(&sql).bind(line_id).fetch_all(self.reader()).await?.iter().map(expense).collect()
    }

    /// Pending expenses decided by a vote, for the scheduler to follow.
    pub async fn expenses_awaiting_votes(&self) -> Result<Vec<Expense>> {
        let sql = format!(
            "SELECT {EXPENSE} FROM expenses WHERE status = 'pending' AND proposal_id IS NOT NULL ORDER BY id LIMIT 100"
        );
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(expense).collect()
    }

    pub async fn expense_approvers(&self, id: &str) -> Result<Vec<String>> {
        let rows = sqlx::query("SELECT steward_id FROM expense_approvals WHERE expense_id = $1 ORDER BY approved_at")
            .bind(id)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(|r| Ok(r.try_get(0)?)).collect()
    }

    pub async fn receipts_of(&self, expense_id: &str) -> Result<Vec<Receipt>> {
        let rows = sqlx::query(
            "SELECT id, expense_id, content_type, sha256, size, uploaded_by, created_at FROM expense_receipts
             WHERE expense_id = $1 ORDER BY created_at LIMIT 50",
        )
        .bind(expense_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Receipt {
                    id: r.try_get(0)?,
                    expense_id: r.try_get(1)?,
                    content_type: r.try_get(2)?,
                    sha256: r.try_get(3)?,
                    size: r.try_get(4)?,
                    uploaded_by: r.try_get(5)?,
                    created_at: r.try_get(6)?,
                })
            })
            .collect()
    }

    /// A receipt's bytes with its type and expense.
    pub async fn receipt_bytes(&self, id: &str) -> Result<Option<(String, String, Vec<u8>)>> {
        let row = sqlx::query("SELECT expense_id, content_type, bytes FROM expense_receipts WHERE id = $1")
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.map(|r| Ok((r.try_get(0)?, r.try_get(1)?, r.try_get(2)?))).transpose()
    }
}

impl WriteTx {
    pub async fn create_budget(&mut self, new: NewBudget<'_>) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO budgets (id, org_id, name, project, currency, starts_at, ends_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(&id)
        .bind(new.org_id)
        .bind(new.name)
        .bind(new.project)
        .bind(new.currency)
        .bind(new.starts_at)
        .bind(new.ends_at)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        for (position, (name, amount)) in new.lines.iter().enumerate() {
            sqlx::query(
                "INSERT INTO budget_lines (id, budget_id, name, amount_minor, position) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(crate::new_id())
            .bind(&id)
            .bind(name)
            .bind(i64::try_from(*amount).unwrap_or(i64::MAX))
            .bind(position as i64)
            .execute(&mut *self.tx)
            .await?;
        }
        let lines: Vec<_> = new.lines.iter().map(|(n, a)| json!([n, a])).collect();
        let change = json!({ "org_id": new.org_id, "name": new.name, "project": new.project, "currency": new.currency, "lines": lines });
        self.audit("budget.create", &id, change).await?;
        Ok(id)
    }

    pub async fn create_expense(&mut self, new: NewExpense<'_>) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO expenses (id, org_id, submitter_id, title, description, amount_minor, currency, line_id, status, proposal_id, paid_by, transfer_id, note, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', NULL, NULL, NULL, '', $9, $9)",
        )
        .bind(&id)
        .bind(new.org_id)
        .bind(self.actor().to_owned())
        .bind(new.title)
        .bind(new.description)
        .bind(i64::try_from(new.amount_minor).unwrap_or(i64::MAX))
        .bind(new.currency)
        .bind(new.line_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        let change = json!({ "org_id": new.org_id, "title": new.title, "amount_minor": new.amount_minor, "currency": new.currency, "line_id": new.line_id });
        self.audit("expense.create", &id, change).await?;
        Ok(id)
    }

    /// Moves an expense from `from` to `to` (with a note and, when paid, payer and transfer);
    /// false when it was no longer `from`.
    pub async fn move_expense(
        &mut self,
        id: &str,
        from: &str,
        to: &str,
        note: &str,
        paid: Option<(&str, &str)>,
    ) -> Result<bool> {
        let at = self.at_ms();
        let (paid_by, transfer) = paid.unzip();
        let moved = sqlx::query(
            "UPDATE expenses SET status = $1, note = $2, updated_at = $3, paid_by = COALESCE($4, paid_by), transfer_id = COALESCE($5, transfer_id)
             WHERE id = $6 AND status = $7",
        )
        .bind(to)
        .bind(note)
        .bind(at)
        .bind(paid_by)
        .bind(transfer)
        .bind(id)
        .bind(from)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if moved {
            self.audit("expense.status", id, json!({ "from": from, "to": to, "note": note, "transfer_id": transfer }))
                .await?;
        }
        Ok(moved)
    }

    /// Records a steward's approval (once each).
    pub async fn approve_expense(&mut self, id: &str, steward_id: &str) -> Result<()> {
        let at = self.at_ms();
        sqlx::query("INSERT INTO expense_approvals (expense_id, steward_id, approved_at) VALUES ($1, $2, $3)")
            .bind(id)
            .bind(steward_id)
            .bind(at)
            .execute(&mut *self.tx)
            .await
            .map_err(crate::error::conflict_as("this steward's approval"))?;
        self.audit("expense.approve", id, json!({ "steward_id": steward_id })).await
    }

    pub async fn set_expense_vote(&mut self, id: &str, proposal_id: &str) -> Result<bool> {
        let set = sqlx::query(
            "UPDATE expenses SET proposal_id = $1 WHERE id = $2 AND status = 'pending' AND proposal_id IS NULL",
        )
        .bind(proposal_id)
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if set {
            self.audit("expense.vote", id, json!({ "proposal_id": proposal_id })).await?;
        }
        Ok(set)
    }

    /// Stores a receipt; the audit entry records its type, size and SHA-256.
    pub async fn add_receipt(&mut self, expense_id: &str, content_type: &str, bytes: &[u8]) -> Result<String> {
        use sha2::Digest;
        let id = crate::new_id();
        let sha = hex::encode(sha2::Sha256::digest(bytes));
        sqlx::query(
            "INSERT INTO expense_receipts (id, expense_id, content_type, sha256, size, bytes, uploaded_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(expense_id)
        .bind(content_type)
        .bind(&sha)
        .bind(bytes.len() as i64)
        .bind(bytes)
        .bind(self.actor().to_owned())
        .bind(self.at_ms())
        .execute(&mut *self.tx)
        .await?;
        let change =
            json!({ "expense_id": expense_id, "content_type": content_type, "size": bytes.len(), "sha256": sha });
        self.audit("expense.receipt", &id, change).await?;
        Ok(id)
    }
}

/// A year of patronage, as declared.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PatronageYear {
    pub id: String,
    pub org_id: String,
    pub year: i64,
    pub currency: String,
    pub surplus_minor: i64,
    /// JSON: the policy, the basis and the split.
    pub split: String,
    pub created_by: String,
    pub created_at: i64,
}

/// One line of a member's capital account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CapitalEntry {
    pub id: String,
    pub org_id: String,
    pub member_id: String,
    pub year: i64,
    /// `allocation` (credited) or `redemption` (paid out).
    pub kind: String,
    pub amount_minor: i64,
    pub currency: String,
    pub note: String,
    pub created_at: i64,
}

impl Store {
    pub async fn patronage_years(&self, org_id: &str) -> Result<Vec<PatronageYear>> {
        let rows = sqlx::query(
            "SELECT id, org_id, year, currency, surplus_minor, split, created_by, created_at FROM patronage_years
             WHERE org_id = $1 ORDER BY year DESC LIMIT 100",
        )
        .bind(org_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(PatronageYear {
                    id: r.try_get(0)?,
                    org_id: r.try_get(1)?,
                    year: r.try_get(2)?,
                    currency: r.try_get(3)?,
                    surplus_minor: r.try_get(4)?,
                    split: r.try_get(5)?,
                    created_by: r.try_get(6)?,
                    created_at: r.try_get(7)?,
                })
            })
            .collect()
    }

    /// A member's capital account in an organisation, oldest first (at most 1,000 lines).
    pub async fn capital_entries(&self, org_id: &str, member_id: &str) -> Result<Vec<CapitalEntry>> {
        let rows = sqlx::query(
            "SELECT id, org_id, member_id, year, kind, amount_minor, currency, note, created_at FROM capital_entries
             WHERE org_id = $1 AND member_id = $2 ORDER BY created_at, id LIMIT 1000",
        )
        .bind(org_id)
        .bind(member_id)
        .fetch_all(self.reader())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CapitalEntry {
                    id: r.try_get(0)?,
                    org_id: r.try_get(1)?,
                    member_id: r.try_get(2)?,
                    year: r.try_get(3)?,
                    kind: r.try_get(4)?,
                    amount_minor: r.try_get(5)?,
                    currency: r.try_get(6)?,
                    note: r.try_get(7)?,
                    created_at: r.try_get(8)?,
                })
            })
            .collect()
    }
}

impl WriteTx {
    /// Records a declared year and credits each member's retained allocation; one year per
    /// organisation and year (a second declaration is a conflict).
    pub async fn declare_patronage(
        &mut self,
        org_id: &str,
        year: i64,
        currency: &str,
        surplus_minor: u64,
        split: &str,
        credits: &[(String, u64)],
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO patronage_years (id, org_id, year, currency, surplus_minor, split, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(year)
        .bind(currency)
        .bind(i64::try_from(surplus_minor).unwrap_or(i64::MAX))
        .bind(split)
        .bind(self.actor().to_owned())
        .bind(at)
        .execute(&mut *self.tx)
        .await
        .map_err(crate::error::conflict_as("this year's patronage"))?;
        for (member, amount) in credits {
            sqlx::query(
                "INSERT INTO capital_entries (id, org_id, member_id, year, kind, amount_minor, currency, note, created_at)
                 VALUES ($1, $2, $3, $4, 'allocation', $5, $6, $7, $8)",
            )
            .bind(crate::new_id())
            .bind(org_id)
            .bind(member)
            .bind(year)
            .bind(i64::try_from(*amount).unwrap_or(i64::MAX))
            .bind(currency)
            .bind(format!("patronage {year}: retained allocation"))
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        self.audit(
            "patronage.declare",
            &id,
            json!({ "org_id": org_id, "year": year, "surplus_minor": surplus_minor, "split": split }),
        )
        .await?;
        Ok(id)
    }
}

/// A redemption of a member's capital account, decided by a vote.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Redemption {
    pub id: String,
    pub org_id: String,
    pub member_id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub proposal_id: String,
    /// `voting`, `paid` or `refused`.
    pub status: String,
    pub created_at: i64,
}

fn redemption(r: &AnyRow) -> Result<Redemption> {
    Ok(Redemption {
        id: r.try_get("id")?,
        org_id: r.try_get("org_id")?,
        member_id: r.try_get("member_id")?,
        amount_minor: r.try_get("amount_minor")?,
        currency: r.try_get("currency")?,
        proposal_id: r.try_get("proposal_id")?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
    })
}

const REDEMPTION: &str = "id, org_id, member_id, amount_minor, currency, proposal_id, status, created_at";

impl Store {
    pub async fn redemptions_of(&self, org_id: &str) -> Result<Vec<Redemption>> {
        let sql = format!(
            "SELECT {REDEMPTION} FROM capital_redemptions WHERE org_id = $1 ORDER BY created_at DESC LIMIT 200"
        );
        sqlx::query(&sql).bind(org_id).fetch_all(self.reader()).await?.iter().map(redemption).collect()
    }

    pub async fn redemptions_voting(&self) -> Result<Vec<Redemption>> {
        let sql = format!(
            "SELECT {REDEMPTION} FROM capital_redemptions WHERE status = 'voting' ORDER BY created_at LIMIT 100"
        );
        sqlx::query(&sql).fetch_all(self.reader()).await?.iter().map(redemption).collect()
    }
}

impl WriteTx {
    pub async fn create_redemption(
        &mut self,
        org_id: &str,
        member_id: &str,
        amount_minor: u64,
        currency: &str,
        proposal_id: &str,
    ) -> Result<String> {
        let id = crate::new_id();
        let at = self.at_ms();
        sqlx::query(
            "INSERT INTO capital_redemptions (id, org_id, member_id, amount_minor, currency, proposal_id, status, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'voting', $7)",
        )
        .bind(&id)
        .bind(org_id)
        .bind(member_id)
        .bind(i64::try_from(amount_minor).unwrap_or(i64::MAX))
        .bind(currency)
        .bind(proposal_id)
        .bind(at)
        .execute(&mut *self.tx)
        .await?;
        self.audit("capital.redeem", &id, json!({ "org_id": org_id, "member_id": member_id, "amount_minor": amount_minor, "proposal_id": proposal_id }))
            .await?;
        Ok(id)
    }

    /// Settles a redemption (`paid` writes the capital account's debit line in the same
    /// transaction); false when it was no longer voting.
    pub async fn settle_redemption(&mut self, r: &Redemption, paid: bool) -> Result<bool> {
        let status = if paid { "paid" } else { "refused" };
        let moved = sqlx::query("UPDATE capital_redemptions SET status = $1 WHERE id = $2 AND status = 'voting'")
            .bind(status)
            .bind(&r.id)
            .execute(&mut *self.tx)
            .await?
            .rows_affected()
            == 1;
        if !moved {
            return Ok(false);
        }
        if paid {
            let at = self.at_ms();
            sqlx::query(
                "INSERT INTO capital_entries (id, org_id, member_id, year, kind, amount_minor, currency, note, created_at)
                 VALUES ($1, $2, $3, $4, 'redemption', $5, $6, $7, $8)",
            )
            .bind(crate::new_id())
            .bind(&r.org_id)
            .bind(&r.member_id)
            .bind(0i64)
            .bind(r.amount_minor)
            .bind(&r.currency)
            .bind("redeemed by vote")
            .bind(at)
            .execute(&mut *self.tx)
            .await?;
        }
        self.audit("capital.settle", &r.id, json!({ "status": status })).await?;
        Ok(true)
    }
}
