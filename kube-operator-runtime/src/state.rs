//! Values the program hands its controllers through the manager: a flag, a client of another
//! service, a field manager. The registry of controllers stays generated; `main.rs` adds the
//! values and each controller reads the ones it needs.

use std::{
    any::{Any, TypeId, type_name},
    collections::HashMap,
    fmt,
    sync::Arc,
};

use crate::error::Error;

/// One value of each type, shared by every controller. Cheap to clone.
#[derive(Clone, Default)]
pub(crate) struct States {
    values: Arc<HashMap<TypeId, Arc<dyn Any + Send + Sync>>>,
}

impl States {
    /// Adds `value`, replacing an earlier value of the same type.
    pub(crate) fn insert<T: Send + Sync + 'static>(&mut self, value: T) {
        Arc::make_mut(&mut self.values).insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// The value of type `T`, or an error that says how to provide one.
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Result<Arc<T>, Error> {
        self.values
            .get(&TypeId::of::<T>())
            .cloned()
            .and_then(|value| value.downcast::<T>().ok())
            .ok_or(Error::MissingState {
                type_name: type_name::<T>(),
            })
    }
}

impl fmt::Debug for States {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("States")
            .field("values", &self.values.len())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Region(&'static str);

    #[test]
    fn a_value_is_found_by_its_type_and_replaced_by_a_later_one() {
        let mut states = States::default();
        states.insert(Region("eu-west"));
        states.insert(7_u32);
        states.insert(Region("us-east"));
        assert_eq!(*states.get::<Region>().unwrap(), Region("us-east"));
        assert_eq!(*states.get::<u32>().unwrap(), 7);

        let missing = states.get::<String>().unwrap_err().to_string();
        assert_eq!(
            missing,
            "no value of type `alloc::string::String` was given to the manager; add \
             `.state(value)` to the `Manager` in main.rs (or to `Shared` in a test)"
        );
    }
}
