//! The sync hub's HTTP API as data: enrolment, push, pull, and the error
//! body. Serde only; the hub and the device's sync engine both use these.
//!
//! Ops travel as [`OpEnvelope`]s. The hub reads them as [`RawOpEnvelope`]s
//! (same JSON, payload left undecoded) so that one op it cannot decode is
//! rejected on its own instead of failing the whole batch; that is why the
//! request and feed types take the envelope type as a parameter.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Hlc, Op, OpEnvelope};

/// Oldest sync protocol a hub of this build still serves: a device of
/// version 1 checks one tenant-wide chain, which a device that sees only its
/// scopes cannot do; one of version 2 needs, in a snapshot, the record of
/// every customer its orders name (its orders hold a foreign key to it),
/// which a salesperson's snapshot no longer has once a customer is given
/// away. Both must update (`app_too_old`; their outboxes wait).
pub const MIN_PROTOCOL_VERSION: u32 = 3;
/// Version of the data model (tables and fields) this build reads and writes.
pub const SCHEMA_VERSION: u32 = 1;
/// Oldest data model a hub of this build still accepts.
pub const MIN_SCHEMA_VERSION: u32 = 1;
/// Header carrying the protocol version on requests without a JSON body.
pub const PROTOCOL_VERSION_HEADER: &str = "stockroom-protocol-version";

/// `POST /v1/enrol`: a user signs a device in to the hub, with their
/// username and password or with a one-time enrolment code a manager made
/// for them (`POST /v1/enrol/codes`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub protocol_version: u32,
    /// Required with a password; with a code it may be left empty, and if
    /// given must name the code's user.
    #[serde(default)]
    pub username: String,
    /// Empty when enrolling with a code.
    #[serde(default)]
    pub password: String,
    /// A one-time code in place of the password (case, spaces and dashes
    /// ignored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enrolment_code: Option<String>,
    /// The device's own id, when it has one. A device the hub already knows
    /// takes a new epoch; an unknown id is registered as given; none gets a
    /// new id from the hub.
    #[serde(default)]
    pub device_id: Option<Uuid>,
    #[serde(default)]
    pub device_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolResponse {
    pub tenant_id: Uuid,
    pub device_id: Uuid,
    /// Starts at 1; every re-enrolment of the device takes the next one, and
    /// the device's outbox sequence starts again at 1.
    pub epoch: u32,
    /// Bearer token for every sync request. Shown once; the hub keeps only
    /// its SHA-256.
    pub session_token: String,
    pub user_id: Uuid,
    pub role: String,
    pub hub_time_ms: u64,
    /// The location the device is assigned to (by the enrolment code, or
    /// kept from an earlier enrolment of the device), if any.
    #[serde(default)]
    pub location_id: Option<Uuid>,
    /// The username of the user the device enrolled as (as the hub holds
    /// it: an enrolment code names no username).
    #[serde(default)]
    pub username: String,
}

/// `POST /v1/enrol/codes`: a manager or owner makes a one-time enrolment
/// code for a user of their tenant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCodeRequest {
    pub username: String,
    /// How long the code stays valid; the hub's default (15 minutes) if not
    /// given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u32>,
    /// The location the enrolled device is to be assigned to (a till's
    /// shop, a salesperson's van): it receives that location's stock only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location_id: Option<Uuid>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolCodeResponse {
    /// Shown once; the hub keeps only its SHA-256. Usable once.
    pub code: String,
    pub user_id: Uuid,
    pub username: String,
    /// Hub time (Unix milliseconds) after which the code is refused.
    pub expires_ms: u64,
}

/// `PUT /v1/device/location`: the calling device's location assignment
/// (`None`: none). Its next pull is answered `scopes_changed`, and it takes
/// a snapshot of its new scopes.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceLocationRequest {
    pub location_id: Option<Uuid>,
}

/// `POST /v1/sync/push`: ops from the device's outbox, from `acked + 1` on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PushRequest<O = OpEnvelope> {
    pub protocol_version: u32,
    pub schema_version: u32,
    pub device_id: Uuid,
    pub epoch: u32,
    pub ops: Vec<O>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    /// Every op up to this sequence number is durably recorded by the hub
    /// (applied, rejected or a duplicate): drop them from the outbox.
    pub acked_through_seq: u64,
    /// One result per op the hub looked at, in request order; ops after a
    /// stop have none.
    pub results: Vec<OpResult>,
    /// Why the hub stopped before the end of the batch, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stopped: Option<BatchStop>,
    pub hub_time_ms: u64,
    /// An op of the batch went into the feed outside every scope the device
    /// receives (a sale at a location it is no longer assigned to, say), or
    /// names a customer outside them (an order for a customer given to
    /// someone else meanwhile): the device holds rows the feed will not
    /// keep up to date, so it takes a
    /// new snapshot once its outbox is acknowledged. Absent means false.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub outside_scopes: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub seq: u64,
    pub op_id: Uuid,
    #[serde(flatten)]
    pub outcome: OpOutcome,
}

/// What the hub did with one op. Every outcome acknowledges the op.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum OpOutcome {
    /// Recorded and put in the feed. Flags are rule breaches a manager will
    /// review; a fact is accepted whatever its flags.
    Applied {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        flags: Vec<FlagCode>,
    },
    /// Seen before (a retry): not applied again. `rejected` repeats the first
    /// time's rejection, if it was one.
    Duplicate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rejected: Option<RejectCode>,
    },
    /// Refused for good: recorded with its code, and the cursor moves on.
    Rejected { code: RejectCode },
}

/// Why the hub refused an op for good. Stable: devices switch on these.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// The op's type is not one this hub knows.
    UnknownOpType,
    /// The payload does not have the shape of its type.
    InvalidPayload,
    /// The acting user's role may not make this request.
    RoleNotAllowed,
    /// The acting user belongs to another tenant.
    WrongTenant,
    /// The acting user is deactivated on the hub.
    UserInactive,
    /// The op id is already taken by another tenant's op.
    OpIdConflict,
    /// A SKU or barcode already held by another active record of the tenant.
    DuplicateCode,
    /// A `user.set` gives a user a username another hub account holds
    /// (usernames are unique across the hub, ignoring case).
    UsernameTaken,
    /// A code from a newer hub than this build.
    #[serde(other)]
    Unrecognised,
}

impl RejectCode {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectCode::UnknownOpType => "unknown_op_type",
            RejectCode::InvalidPayload => "invalid_payload",
            RejectCode::RoleNotAllowed => "role_not_allowed",
            RejectCode::WrongTenant => "wrong_tenant",
            RejectCode::UserInactive => "user_inactive",
            RejectCode::OpIdConflict => "op_id_conflict",
            RejectCode::DuplicateCode => "duplicate_code",
            RejectCode::UsernameTaken => "username_taken",
            RejectCode::Unrecognised => "unrecognised",
        }
    }

    pub fn parse(code: &str) -> Option<RejectCode> {
        [
            RejectCode::UnknownOpType,
            RejectCode::InvalidPayload,
            RejectCode::RoleNotAllowed,
            RejectCode::WrongTenant,
            RejectCode::UserInactive,
            RejectCode::OpIdConflict,
            RejectCode::DuplicateCode,
            RejectCode::UsernameTaken,
        ]
        .into_iter()
        .find(|known| known.as_str() == code)
    }
}

/// A rule a fact broke; it was accepted anyway and raised for a manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagCode {
    /// The acting user's role does not cover this kind of op.
    RoleNotAllowed,
    /// The acting user belongs to another tenant.
    WrongTenant,
    /// The acting user is deactivated on the hub.
    UserInactive,
    /// The payload parses but breaks a shape rule (empty lines, bad currency).
    InvalidShape,
    /// The stamp was far in the future and was clamped to hub time.
    ClockClamped,
    /// A code from a newer hub than this build.
    #[serde(other)]
    Unrecognised,
}

impl FlagCode {
    pub fn as_str(self) -> &'static str {
        match self {
            FlagCode::RoleNotAllowed => "role_not_allowed",
            FlagCode::WrongTenant => "wrong_tenant",
            FlagCode::UserInactive => "user_inactive",
            FlagCode::InvalidShape => "invalid_shape",
            FlagCode::ClockClamped => "clock_clamped",
            FlagCode::Unrecognised => "unrecognised",
        }
    }
}

/// Why the hub stopped a batch early. Ops from `seq` on are not
/// acknowledged: they stay in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum BatchStop {
    /// `seq` is not the next one the hub expects: an earlier op is missing.
    Gap { seq: u64, expected_seq: u64 },
    /// The op's type version is outside what this hub supports; older than
    /// `min_version` means the app must be updated, newer than `max_version`
    /// means the hub must be.
    UnsupportedOpVersion {
        seq: u64,
        type_version: u32,
        min_version: u32,
        max_version: u32,
    },
}

/// `GET /v1/sync/pull?since=CURSOR&limit=N`: the entries of the device's
/// scopes in the tenant's feed after a cursor, in feed order. Entries of
/// other scopes are skipped, not sent: positions on a page have gaps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PullResponse<O = OpEnvelope> {
    pub changes: Vec<FeedEntry<O>>,
    /// Opaque; pass it back as `since` for the next page.
    pub next: String,
    /// Whether more changes follow `next` right now.
    pub more: bool,
    pub hub_time_ms: u64,
    /// For each scope named by an entry of the page: that scope's hash
    /// chain after its last entry on the page, hex (see [`crate::snapshot`]).
    #[serde(default)]
    pub scopes: BTreeMap<String, String>,
}

/// One change in a tenant's feed, at its commit-ordered position.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FeedEntry<O = OpEnvelope> {
    pub position: u64,
    pub change: FeedChange<O>,
    /// The scopes of the pulling device this entry belongs to (one or
    /// more); each one's chain takes the entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "body", rename_all = "snake_case")]
pub enum FeedChange<O = OpEnvelope> {
    /// An op some device pushed, with the stamp the hub settled on (a stamp
    /// far in the future is clamped).
    Op(O),
    /// A change the hub itself made (an order's confirmation, a user's role).
    /// Not produced by this build yet.
    Row(RowChange),
}

/// New values for fields of one record, decided by the hub.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowChange {
    pub entity: String,
    pub row_id: Uuid,
    pub hlc: Hlc,
    pub fields: serde_json::Map<String, serde_json::Value>,
}

/// The body of every error answer: a stable code to switch on and a message
/// for people.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// An op as the hub reads it: the envelope decoded, the payload not yet.
/// Same JSON as [`OpEnvelope`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawOpEnvelope {
    pub op_id: Uuid,
    pub device_id: Uuid,
    pub epoch: u32,
    pub seq: u64,
    pub hlc: Hlc,
    pub user_id: Uuid,
    pub type_version: u32,
    pub op: RawOp,
}

/// An op's type name and its payload, undecoded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RawOp {
    #[serde(rename = "type")]
    pub op_type: String,
    #[serde(default)]
    pub data: serde_json::Value,
}

impl RawOpEnvelope {
    /// Decodes the payload into a typed envelope.
    pub fn decode(&self) -> Result<OpEnvelope, serde_json::Error> {
        Ok(OpEnvelope {
            op_id: self.op_id,
            device_id: self.device_id,
            epoch: self.epoch,
            seq: self.seq,
            hlc: self.hlc,
            user_id: self.user_id,
            type_version: self.type_version,
            op: Op::from_parts(&self.op.op_type, self.op.data.clone())?,
        })
    }
}

impl From<&OpEnvelope> for RawOpEnvelope {
    fn from(envelope: &OpEnvelope) -> Self {
        RawOpEnvelope {
            op_id: envelope.op_id,
            device_id: envelope.device_id,
            epoch: envelope.epoch,
            seq: envelope.seq,
            hlc: envelope.hlc,
            user_id: envelope.user_id,
            type_version: envelope.type_version,
            op: RawOp {
                op_type: envelope.op.kind().as_str().to_string(),
                data: envelope.op.payload_json(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::{AccountEntry, AccountEntryKind, PaymentMethod};

    fn payment_op(seq: u64) -> OpEnvelope {
        OpEnvelope {
            op_id: Uuid::from_u128(100 + u128::from(seq)),
            device_id: Uuid::from_u128(1),
            epoch: 2,
            seq,
            hlc: Hlc::new(1_000, 3),
            user_id: Uuid::from_u128(9),
            type_version: 1,
            op: Op::PaymentReceived(AccountEntry {
                id: Uuid::from_u128(7),
                customer_id: Uuid::from_u128(8),
                kind: AccountEntryKind::Payment,
                amount_minor: -1250,
                currency: "EUR".into(),
                ref_id: None,
                method: Some(PaymentMethod::Card),
            }),
        }
    }

    #[test]
    fn a_device_push_reads_as_raw_envelopes_and_decodes_back() {
        let request = PushRequest {
            protocol_version: crate::PROTOCOL_VERSION,
            schema_version: SCHEMA_VERSION,
            device_id: Uuid::from_u128(1),
            epoch: 2,
            ops: vec![payment_op(1), payment_op(2)],
        };
        let json = serde_json::to_string(&request).unwrap();
        let raw: PushRequest<RawOpEnvelope> = serde_json::from_str(&json).unwrap();
        assert_eq!(raw.ops[0].op.op_type, "payment.received");
        let decoded: Vec<OpEnvelope> = raw.ops.iter().map(|op| op.decode().unwrap()).collect();
        assert_eq!(decoded, request.ops);
        assert_eq!(RawOpEnvelope::from(&request.ops[1]), raw.ops[1]);
    }

    #[test]
    fn an_unknown_op_type_still_reads_as_raw() {
        let json = r#"{"op_id":"00000000-0000-0000-0000-000000000001","device_id":"00000000-0000-0000-0000-000000000002",
            "epoch":1,"seq":1,"hlc":65536,"user_id":"00000000-0000-0000-0000-000000000003","type_version":1,
            "op":{"type":"sale.voided","data":{"id":1}}}"#;
        let raw: RawOpEnvelope = serde_json::from_str(json).unwrap();
        assert_eq!(raw.op.op_type, "sale.voided");
        assert!(raw.decode().is_err());
    }

    #[test]
    fn outcomes_have_a_flat_tagged_shape() {
        let results = vec![
            OpResult {
                seq: 1,
                op_id: Uuid::from_u128(1),
                outcome: OpOutcome::Applied { flags: vec![] },
            },
            OpResult {
                seq: 2,
                op_id: Uuid::from_u128(2),
                outcome: OpOutcome::Applied {
                    flags: vec![FlagCode::ClockClamped],
                },
            },
            OpResult {
                seq: 3,
                op_id: Uuid::from_u128(3),
                outcome: OpOutcome::Duplicate {
                    rejected: Some(RejectCode::RoleNotAllowed),
                },
            },
            OpResult {
                seq: 4,
                op_id: Uuid::from_u128(4),
                outcome: OpOutcome::Rejected {
                    code: RejectCode::UnknownOpType,
                },
            },
        ];
        let json = serde_json::to_value(&results).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"seq": 1, "op_id": "00000000-0000-0000-0000-000000000001", "outcome": "applied"},
                {"seq": 2, "op_id": "00000000-0000-0000-0000-000000000002", "outcome": "applied", "flags": ["clock_clamped"]},
                {"seq": 3, "op_id": "00000000-0000-0000-0000-000000000003", "outcome": "duplicate", "rejected": "role_not_allowed"},
                {"seq": 4, "op_id": "00000000-0000-0000-0000-000000000004", "outcome": "rejected", "code": "unknown_op_type"},
            ])
        );
        let back: Vec<OpResult> = serde_json::from_value(json).unwrap();
        assert_eq!(back, results);
    }

    #[test]
    fn stops_carry_their_code() {
        let stop = BatchStop::Gap {
            seq: 7,
            expected_seq: 5,
        };
        assert_eq!(
            serde_json::to_value(&stop).unwrap(),
            serde_json::json!({"code": "gap", "seq": 7, "expected_seq": 5})
        );
    }

    #[test]
    fn codes_from_a_newer_hub_do_not_break_an_older_device() {
        let outcome: OpOutcome = serde_json::from_str(r#"{"outcome":"rejected","code":"tax_id_missing"}"#).unwrap();
        assert_eq!(
            outcome,
            OpOutcome::Rejected {
                code: RejectCode::Unrecognised
            }
        );
        let flags: Vec<FlagCode> = serde_json::from_str(r#"["clock_clamped","over_credit_limit"]"#).unwrap();
        assert_eq!(flags, vec![FlagCode::ClockClamped, FlagCode::Unrecognised]);
    }

    #[test]
    fn reject_codes_parse_back() {
        for code in [
            RejectCode::UnknownOpType,
            RejectCode::InvalidPayload,
            RejectCode::RoleNotAllowed,
            RejectCode::WrongTenant,
            RejectCode::UserInactive,
            RejectCode::OpIdConflict,
            RejectCode::DuplicateCode,
            RejectCode::UsernameTaken,
        ] {
            assert_eq!(RejectCode::parse(code.as_str()), Some(code));
            assert_eq!(serde_json::to_value(code).unwrap(), code.as_str());
        }
    }

    #[test]
    fn feed_entries_are_tagged_by_kind() {
        let entry = FeedEntry {
            position: 12,
            change: FeedChange::Op(payment_op(1)),
            scopes: vec!["customers".into()],
        };
        let json = serde_json::to_value(&entry).unwrap();
        assert_eq!(json["position"], 12);
        assert_eq!(json["change"]["kind"], "op");
        assert_eq!(json["change"]["body"]["op"]["type"], "payment.received");
        assert_eq!(json["scopes"], serde_json::json!(["customers"]));
        let back: FeedEntry = serde_json::from_value(json).unwrap();
        assert_eq!(back, entry);
    }
}
