//! Payment requests (invoices): a payee asks a payer for an amount; the payer pays (through the
//! ledger, with an id derived from the request so it is paid at most once), declines, or the
//! payee cancels. Status moves only from `open`, by compare-and-set.

use crate::ledger::id_bytes;
use crate::{Result, StoreError, WriteTx, new_id};
use sqlx::Row;
use sqlx::any::AnyRow;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRequest {
    pub id: String,
    pub payee_account: u128,
    pub payer_kind: String,
    pub payer_id: String,
    pub ledger: u32,
    pub amount: u64,
    pub memo: String,
    /// `open`, `paid`, `declined` or `cancelled`.
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    pub transfer_id: Option<u128>,
    pub decided_at: Option<i64>,
}

const COLUMNS: &str = "id, payee_account, payer_kind, payer_id, ledger, amount, memo, status, created_by, created_at, \
     transfer_id, decided_at";

fn from_row(r: &AnyRow) -> Result<PaymentRequest> {
    let id16 = |bytes: Vec<u8>| -> Result<u128> {
        let array: [u8; 16] =
            bytes.try_into().map_err(|_| StoreError::Corrupt("a ledger id of the wrong size".into()))?;
        Ok(u128::from_be_bytes(array))
    };
    Ok(PaymentRequest {
        id: r.try_get("id")?,
        payee_account: id16(r.try_get("payee_account")?)?,
        payer_kind: r.try_get("payer_kind")?,
        payer_id: r.try_get("payer_id")?,
        ledger: u32::try_from(r.try_get::<i64, _>("ledger")?).map_err(|_| StoreError::Corrupt("ledger".into()))?,
        amount: r.try_get::<i64, _>("amount")? as u64,
        memo: r.try_get("memo")?,
        status: r.try_get("status")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        transfer_id: r.try_get::<Option<Vec<u8>>, _>("transfer_id")?.map(id16).transpose()?,
        decided_at: r.try_get("decided_at")?,
    })
}

impl crate::Store {
    pub async fn payment_request(&self, id: &str) -> Result<Option<PaymentRequest>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM payment_requests WHERE id = $1"))
            .bind(id)
            .fetch_optional(self.reader())
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    /// Requests addressed to a payer, newest first (open ones first).
    pub async fn payment_requests_to(
        &self,
        payer_kind: &str,
        payer_id: &str,
        limit: i64,
    ) -> Result<Vec<PaymentRequest>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_requests WHERE payer_kind = $1 AND payer_id = $2 \
             ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, created_at DESC LIMIT $3"
        ))
        .bind(payer_kind)
        .bind(payer_id)
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }

    /// A page of every payment request in id order, after `after_id` (for `commune verify`).
    pub async fn payment_requests_page(&self, after_id: &str, limit: i64) -> Result<Vec<PaymentRequest>> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM payment_requests WHERE id > $1 ORDER BY id LIMIT $2"))
            .bind(after_id)
            .bind(limit)
            .fetch_all(self.reader())
            .await?;
        rows.iter().map(from_row).collect()
    }

    /// Requests a payee account has sent, newest first.
    pub async fn payment_requests_from(&self, payee_account: u128, limit: i64) -> Result<Vec<PaymentRequest>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM payment_requests WHERE payee_account = $1 ORDER BY created_at DESC LIMIT $2"
        ))
        .bind(id_bytes(payee_account))
        .bind(limit)
        .fetch_all(self.reader())
        .await?;
        rows.iter().map(from_row).collect()
    }
}

/// What a new payment request says.
#[derive(Debug, Clone)]
pub struct NewPaymentRequest {
    pub payee_account: u128,
    pub payer_kind: String,
    pub payer_id: String,
    pub ledger: u32,
    pub amount: u64,
    pub memo: String,
}

impl WriteTx {
    pub async fn create_payment_request(&mut self, new: &NewPaymentRequest) -> Result<PaymentRequest> {
        let request = PaymentRequest {
            id: new_id(),
            payee_account: new.payee_account,
            payer_kind: new.payer_kind.clone(),
            payer_id: new.payer_id.clone(),
            ledger: new.ledger,
            amount: new.amount,
            memo: new.memo.clone(),
            status: "open".into(),
            created_by: self.actor().to_owned(),
            created_at: self.at_ms(),
            transfer_id: None,
            decided_at: None,
        };
        sqlx::query(&format!(
            "INSERT INTO payment_requests ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL)"
        ))
        .bind(&request.id)
        .bind(id_bytes(request.payee_account))
        .bind(&request.payer_kind)
        .bind(&request.payer_id)
        .bind(i64::from(request.ledger))
        .bind(request.amount as i64)
        .bind(&request.memo)
        .bind(&request.status)
        .bind(&request.created_by)
        .bind(request.created_at)
        .execute(&mut *self.tx)
        .await?;
        self.audit(
            "payment_request.create",
            &request.id,
            serde_json::json!({
                "payee_account": format!("{:032x}", request.payee_account),
                "payer": format!("{}:{}", request.payer_kind, request.payer_id),
                "ledger": request.ledger,
                "amount_minor": request.amount,
            }),
        )
        .await?;
        Ok(request)
    }

    /// Moves an open request to `status`; false when it was no longer open.
    pub async fn decide_payment_request(&mut self, id: &str, status: &str, transfer_id: Option<u128>) -> Result<bool> {
        let done = sqlx::query(
            "UPDATE payment_requests SET status = $1, transfer_id = $2, decided_at = $3 WHERE id = $4 AND status = 'open'",
        )
        .bind(status)
        .bind(transfer_id.map(id_bytes))
        .bind(self.at_ms())
        .bind(id)
        .execute(&mut *self.tx)
        .await?
        .rows_affected()
            == 1;
        if done {
            let transfer = transfer_id.map(|t| format!("{t:032x}"));
            self.audit("payment_request.decide", id, serde_json::json!({ "status": status, "transfer": transfer }))
                .await?;
        }
        Ok(done)
    }
}
