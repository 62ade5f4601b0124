//! The objects of one benchmark run and the status every Foo must end up with.
//!
//! Names are derived from indices so that the expected state is known without asking the API
//! server: Foo `i` lives in namespace `bench-{i % 4}`, Pod `j` in `bench-{(j + 1) % 4}` (a friend
//! is usually in another namespace than its Foo, which the controller must handle).
//!
//! Initially, even Foos look for `pod-{i}` (happy when `i < pods`) and odd Foos for `nobody-{i}`
//! (unhappy). The churn touches 10% of the Pods and 10% of the Foos, by `i % 20`:
//!
//! | what | which | effect on status |
//! |---|---|---|
//! | delete Pod `pod-{j}` | `j % 20` in {0, 1} | Foo `j` (0) turns unhappy; nobody looks for 1 |
//! | create Pod `nobody-{i}` | `i % 20` in {3, 5} | Foo `i` turns happy |
//! | Foo spec.name := `pod-{i + 2}` | `i % 20 == 4` | stays happy (a spec change, no status change) |
//! | Foo spec.name := `pod-{i + 1}` | `i % 20 == 7` | turns happy |

use std::collections::{BTreeMap, HashSet};

/// How many namespaces the objects are spread over.
const NAMESPACES: usize = 4;

/// A namespaced object name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub namespace: String,
    pub name: String,
}

impl Key {
    pub fn new(namespace: impl Into<String>, name: impl Into<String>) -> Self {
        Key {
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// What a Foo must look like once the operator has caught up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub friend: String,
    pub happy: bool,
}

/// The sizes of a run; everything else follows from them.
#[derive(Debug, Clone, Copy)]
pub struct Workload {
    pub foos: usize,
    pub pods: usize,
}

pub fn namespaces() -> Vec<String> {
    (0..NAMESPACES).map(namespace).collect()
}

fn namespace(index: usize) -> String {
    format!("bench-{}", index % NAMESPACES)
}

pub fn foo_key(i: usize) -> Key {
    Key::new(namespace(i), format!("foo-{i}"))
}

fn pod_key(j: usize) -> Key {
    Key::new(namespace(j + 1), format!("pod-{j}"))
}

fn initial_friend(i: usize) -> String {
    if i.is_multiple_of(2) {
        format!("pod-{i}")
    } else {
        format!("nobody-{i}")
    }
}

/// The spec changes of the churn: Foo index and its new friend.
fn churned_friend(i: usize) -> Option<String> {
    match i % 20 {
        4 => Some(format!("pod-{}", i + 2)),
        7 => Some(format!("pod-{}", i + 1)),
        _ => None,
    }
}

impl Workload {
    /// Every Foo with the friend it initially looks for.
    pub fn initial_foos(&self) -> Vec<(Key, String)> {
        (0..self.foos)
            .map(|i| (foo_key(i), initial_friend(i)))
            .collect()
    }

    pub fn initial_pods(&self) -> Vec<Key> {
        (0..self.pods).map(pod_key).collect()
    }

    pub fn pods_to_delete(&self) -> Vec<Key> {
        (0..self.pods)
            .filter(|j| j % 20 <= 1)
            .map(pod_key)
            .collect()
    }

    /// New Pods named after friends that unhappy Foos are looking for.
    pub fn pods_to_create(&self) -> Vec<Key> {
        (0..self.foos)
            .filter(|i| matches!(i % 20, 3 | 5))
            .map(|i| Key::new(namespace(i + 2), format!("nobody-{i}")))
            .collect()
    }

    /// Foos whose `spec.name` the churn changes, with the new value.
    pub fn foos_to_change(&self) -> Vec<(Key, String)> {
        (0..self.foos)
            .filter_map(|i| churned_friend(i).map(|friend| (foo_key(i), friend)))
            .collect()
    }

    /// The state after the objects were created, before the operator ran.
    pub fn expected_initial(&self) -> BTreeMap<Key, Expected> {
        let pods: HashSet<String> = self.initial_pods().into_iter().map(|k| k.name).collect();
        expected(self.initial_foos(), &pods)
    }

    /// The state after the churn.
    pub fn expected_after_churn(&self) -> BTreeMap<Key, Expected> {
        let deleted: HashSet<Key> = self.pods_to_delete().into_iter().collect();
        let pods: HashSet<String> = self
            .initial_pods()
            .into_iter()
            .filter(|k| !deleted.contains(k))
            .chain(self.pods_to_create())
            .map(|k| k.name)
            .collect();
        let foos = (0..self.foos).map(|i| {
            let friend = churned_friend(i).unwrap_or_else(|| initial_friend(i));
            (foo_key(i), friend)
        });
        expected(foos, &pods)
    }
}

fn expected(
    foos: impl IntoIterator<Item = (Key, String)>,
    pods: &HashSet<String>,
) -> BTreeMap<Key, Expected> {
    foos.into_iter()
        .map(|(key, friend)| {
            let happy = pods.contains(&friend);
            (key, Expected { friend, happy })
        })
        .collect()
}

/// One Foo whose `status.happy` must change: to `happy`, from `was_happy`.
pub struct Change {
    pub key: Key,
    pub friend: String,
    pub happy: bool,
    pub was_happy: bool,
}

/// The status changes that turn `before` (absent: no status yet, which reads false) into
/// `after`: what an operator must write in a phase, and what the floor writes.
pub fn status_changes(
    before: Option<&BTreeMap<Key, Expected>>,
    after: &BTreeMap<Key, Expected>,
) -> Vec<Change> {
    after
        .iter()
        .filter_map(|(key, expected)| {
            let was_happy = before.and_then(|b| b.get(key)).is_some_and(|e| e.happy);
            (was_happy != expected.happy).then(|| Change {
                key: key.clone(),
                friend: expected.friend.clone(),
                happy: expected.happy,
                was_happy,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn happy_count(state: &BTreeMap<Key, Expected>) -> usize {
        state.values().filter(|e| e.happy).count()
    }

    #[test]
    fn half_of_the_foos_start_happy_and_churn_touches_ten_percent() {
        let workload = Workload {
            foos: 1000,
            pods: 1000,
        };
        let initial = workload.expected_initial();
        assert_eq!(happy_count(&initial), 500);
        assert_eq!(workload.pods_to_delete().len(), 100);
        assert_eq!(workload.pods_to_create().len(), 100);
        assert_eq!(workload.foos_to_change().len(), 100);

        let after = workload.expected_after_churn();
        let flipped = initial
            .iter()
            .filter(|(key, e)| after[*key].happy != e.happy)
            .count();
        // 50 lose their Pod, 100 find a new one, 50 change to an existing Pod.
        assert_eq!(flipped, 200);
        assert_eq!(happy_count(&after), 500 - 50 + 100 + 50);
    }

    #[test]
    fn names_are_unique_across_namespaces() {
        let workload = Workload { foos: 40, pods: 40 };
        let pods: HashSet<String> = workload
            .initial_pods()
            .into_iter()
            .chain(workload.pods_to_create())
            .map(|k| k.name)
            .collect();
        assert_eq!(pods.len(), 40 + 4);
    }
}
