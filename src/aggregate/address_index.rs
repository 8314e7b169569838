//! Where each IPv4 source's record sits in the source table: an open-addressing hash table of
//! packed `(address, position)` slots.
//!
//! A general hash map keeps its control bytes and its entries in two places, so a new source
//! (nearly every packet of a flood) costs two cache misses: one to find that the address is
//! absent, one to write the entry. Here the slot that says "absent" is the slot written, and
//! looking a group of addresses up ahead (`SourceTable::warm`) brings in exactly the lines the
//! inserts then use. Linear probing over 8-byte slots keeps a probe within a line or two.
//!
//! The hash is seeded per process (foldhash), as source addresses are chosen by the attacker:
//! with a fixed hash, a crafted capture could put every address in one probe run.

use std::hash::BuildHasher;

/// An empty slot. No real slot holds it: positions stay below `u32::MAX`.
const EMPTY: u64 = u64::MAX;

/// Slots of a new index (a power of two).
const FIRST_SLOTS: usize = 64;

/// What `Ipv4Index::position_or_insert` found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The address was already there, at this position.
    Found(u32),
    /// The address was new and now has the position offered.
    Inserted,
    /// The address was new and there was no room for it (the caller's cap).
    Absent,
}

#[derive(Debug, Clone)]
pub struct Ipv4Index {
    /// `address << 32 | position`, or `EMPTY`; the length is a power of two, at most three
    /// quarters full, so a probe always ends at an empty slot.
    slots: Vec<u64>,
    len: usize,
    hasher: foldhash::fast::RandomState,
}

impl Default for Ipv4Index {
    fn default() -> Self {
        Ipv4Index {
            slots: vec![EMPTY; FIRST_SLOTS],
            len: 0,
            hasher: foldhash::fast::RandomState::default(),
        }
    }
}

impl Ipv4Index {
    fn home(&self, address: u32) -> usize {
        (self.hasher.hash_one(address) as usize) & (self.slots.len() - 1)
    }

    /// The slot holding `address`, or the empty slot where it would go.
    fn find(&self, address: u32) -> usize {
        let mask = self.slots.len() - 1;
        let mut index = self.home(address);
        // At most three quarters of the slots are taken, so the walk meets an empty one.
        while let Some(&slot) = self.slots.get(index) {
            if slot == EMPTY || (slot >> 32) as u32 == address {
                break;
            }
            index = (index + 1) & mask;
        }
        index
    }

    pub fn get(&self, address: u32) -> Option<u32> {
        match self.slots.get(self.find(address)) {
            Some(&slot) if slot != EMPTY => Some(slot as u32),
            _ => None,
        }
    }

    /// The position of `address`; if it is new and `room`, it gets `next`.
    pub fn position_or_insert(&mut self, address: u32, next: u32, room: bool) -> Lookup {
        let index = self.find(address);
        match self.slots.get(index) {
            Some(&slot) if slot != EMPTY => return Lookup::Found(slot as u32),
            _ if !room => return Lookup::Absent,
            _ => {}
        }
        if (self.len + 1) * 4 > self.slots.len() * 3 {
            self.grow();
            let index = self.find(address);
            self.put(index, address, next);
        } else {
            self.put(index, address, next);
        }
        Lookup::Inserted
    }

    fn put(&mut self, index: usize, address: u32, position: u32) {
        if let Some(slot) = self.slots.get_mut(index) {
            *slot = u64::from(address) << 32 | u64::from(position);
            self.len += 1;
        }
    }

    /// Doubles the slots and puts every entry back.
    fn grow(&mut self) {
        let doubled = vec![EMPTY; self.slots.len() * 2];
        let old = std::mem::replace(&mut self.slots, doubled);
        self.len = 0;
        for slot in old.into_iter().filter(|&slot| slot != EMPTY) {
            let index = self.find((slot >> 32) as u32);
            self.put(index, (slot >> 32) as u32, slot as u32);
        }
    }

    /// Every `(address, position)`, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        self.slots
            .iter()
            .filter(|&&slot| slot != EMPTY)
            .map(|&slot| ((slot >> 32) as u32, slot as u32))
    }

    /// Every entry as `address << 32 | position` (sorting these sorts by address), in no
    /// particular order.
    pub fn into_packed(self) -> Vec<u64> {
        let mut slots = self.slots;
        slots.retain(|&slot| slot != EMPTY);
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn agrees_with_a_hash_map_through_growth() {
        let mut index = Ipv4Index::default();
        let mut reference: HashMap<u32, u32> = HashMap::new();
        let mut state = 0x853c_49e6_748f_ea9bu64;
        for step in 0..50_000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            // A narrow range, so addresses come back, and the extremes of the space.
            let address = match step % 7 {
                0 => 0,
                1 => u32::MAX,
                _ => (state >> 40) as u32 % 30_000,
            };
            let next = reference.len() as u32;
            let expected = match reference.get(&address) {
                Some(&position) => Lookup::Found(position),
                None => {
                    reference.insert(address, next);
                    Lookup::Inserted
                }
            };
            assert_eq!(index.position_or_insert(address, next, true), expected);
        }
        assert_eq!(index.iter().count(), reference.len());
        for (&address, &position) in &reference {
            assert_eq!(index.get(address), Some(position));
        }
        assert_eq!(index.get(30_001), None);
        let mut listed: Vec<(u32, u32)> = index.iter().collect();
        let mut expected: Vec<(u32, u32)> = reference.into_iter().collect();
        listed.sort_unstable();
        expected.sort_unstable();
        assert_eq!(listed, expected);
        let mut packed = index.into_packed();
        packed.sort_unstable();
        let unpacked: Vec<(u32, u32)> = packed
            .iter()
            .map(|&slot| ((slot >> 32) as u32, slot as u32))
            .collect();
        assert_eq!(unpacked, expected);
    }

    #[test]
    fn without_room_a_new_address_stays_out() {
        let mut index = Ipv4Index::default();
        assert_eq!(index.position_or_insert(7, 0, true), Lookup::Inserted);
        assert_eq!(index.position_or_insert(8, 1, false), Lookup::Absent);
        assert_eq!(index.position_or_insert(7, 1, false), Lookup::Found(0));
        assert_eq!(index.iter().count(), 1);
        assert_eq!(index.get(8), None);
    }
}
