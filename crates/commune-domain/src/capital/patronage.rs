//! Patronage: a business's year-end surplus from its members' patronage, split by policy into an
//! indivisible reserve, the members' capital accounts (in proportion to the hours or the
//! contribution each recorded that year) and the commune; of each member's allocation a policy
//! share (at least 20%) is paid in cash and the rest credited to their capital account.
//!
//! Every split is exact in minor units: shares are parts per million, and what rounding leaves
//! over goes one unit at a time to the largest remainders (ties to the earlier member), so the
//! parts always add up to the surplus.

use crate::validation::Invalid;

/// The least share of an allocation paid in cash (parts per million).
pub const MIN_CASH_PPM: u64 = 200_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub reserve_ppm: u64,
    pub members_ppm: u64,
    pub commune_ppm: u64,
    pub cash_ppm: u64,
}

impl Policy {
    /// The three shares must make a whole, and the cash share be at least 20%.
    pub fn new(reserve_ppm: u64, members_ppm: u64, commune_ppm: u64, cash_ppm: u64) -> Result<Policy, Invalid> {
        if reserve_ppm + members_ppm + commune_ppm != 1_000_000 {
            return Err(Invalid::new("shares", "the reserve, members' and commune's shares must add up to 100%"));
        }
        if !(MIN_CASH_PPM..=1_000_000).contains(&cash_ppm) {
            return Err(Invalid::new("cash_share", "pay at least 20% of each allocation in cash"));
        }
        Ok(Policy { reserve_ppm, members_ppm, commune_ppm, cash_ppm })
    }
}

/// One member's part of the year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub member: usize,
    pub allocated_minor: u64,
    pub cash_minor: u64,
    /// Credited to the member's capital account (allocated less cash).
    pub retained_minor: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Split {
    pub reserve_minor: u64,
    pub commune_minor: u64,
    pub members: Vec<Allocation>,
}

/// Splits `total` by `weights` (largest remainder, ties to the lower index); all-zero weights
/// give everything to nobody (all zeros) — the caller decides what that means.
pub fn apportion(total: u64, weights: &[u64]) -> Vec<u64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let exact: Vec<(u128, u128)> = weights
        .iter()
        .map(|&w| {
            let x = u128::from(total) * u128::from(w);
            (x / sum, x % sum)
        })
        .collect();
    let mut out: Vec<u64> = exact.iter().map(|&(q, _)| q as u64).collect();
    let short = total - out.iter().sum::<u64>();
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| exact[b].1.cmp(&exact[a].1).then(a.cmp(&b)));
    for &i in order.iter().take(short as usize) {
        out[i] += 1;
    }
    out
}

/// The year's split of `surplus_minor` with each member's `basis` (hours or contribution, in
/// any one unit). With no basis recorded at all, the members' share goes to the reserve.
pub fn split(surplus_minor: u64, policy: Policy, basis: &[u64]) -> Split {
    let parts = apportion(surplus_minor, &[policy.reserve_ppm, policy.members_ppm, policy.commune_ppm]);
    let (mut reserve, to_members, commune) = (parts[0], parts[1], parts[2]);
    let shares = apportion(to_members, basis);
    if shares.iter().sum::<u64>() == 0 {
        reserve += to_members;
    }
    let members = shares
        .iter()
        .enumerate()
        .filter(|(_, a)| **a > 0)
        .map(|(member, &allocated)| {
            // Cash rounds up: the member is never paid less than the policy's share.
            let cash = (u128::from(allocated) * u128::from(policy.cash_ppm)).div_ceil(1_000_000) as u64;
            Allocation { member, allocated_minor: allocated, cash_minor: cash, retained_minor: allocated - cash }
        })
        .collect();
    Split { reserve_minor: reserve, commune_minor: commune, members }
}

#[cfg(test)]
#[allow(clippy::inconsistent_digit_grouping)] // amounts read as units_cents
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_year_by_hours() {
        let policy = Policy::new(300_000, 600_000, 100_000, 200_000).unwrap();
        let year = split(10_000_00, policy, &[1200, 600, 0, 200]);
        assert_eq!((year.reserve_minor, year.commune_minor), (3_000_00, 1_000_00));
        let alloc: Vec<(usize, u64, u64, u64)> =
            year.members.iter().map(|a| (a.member, a.allocated_minor, a.cash_minor, a.retained_minor)).collect();
        assert_eq!(
            alloc,
            vec![(0, 3_600_00, 720_00, 2_880_00), (1, 1_800_00, 360_00, 1_440_00), (3, 600_00, 120_00, 480_00)]
        );
        assert!(Policy::new(300_000, 600_000, 100_000, 100_000).is_err(), "cash below 20%");
        assert!(Policy::new(300_000, 600_000, 200_000, 200_000).is_err(), "shares over 100%");
        let nobody = split(100, policy, &[0, 0]);
        assert_eq!((nobody.reserve_minor, nobody.commune_minor, nobody.members.len()), (90, 10, 0));
    }

    proptest! {
        #[test]
        fn nothing_is_lost_or_created(
            surplus in 0u64..1_000_000_000_000,
            reserve in 0u64..=1_000_000,
            cash in MIN_CASH_PPM..=1_000_000,
            basis in proptest::collection::vec(0u64..10_000, 0..20),
            commune_part in 0u64..=100,
        ) {
            let commune = (1_000_000 - reserve) * commune_part / 100;
            let policy = Policy::new(reserve, 1_000_000 - reserve - commune, commune, cash).unwrap();
            let year = split(surplus, policy, &basis);
            let members: u64 = year.members.iter().map(|a| a.allocated_minor).sum();
            prop_assert_eq!(year.reserve_minor + year.commune_minor + members, surplus);
            for a in &year.members {
                prop_assert_eq!(a.cash_minor + a.retained_minor, a.allocated_minor);
                prop_assert!(u128::from(a.cash_minor) * 1_000_000 >= u128::from(a.allocated_minor) * u128::from(cash));
            }
        }
    }
}
