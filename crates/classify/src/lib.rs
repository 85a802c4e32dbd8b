//! Classifiers for tawasul's codebook tasks (`post_type`, `intent`, `body`): features hashed
//! from the Arabic text core's tokens, normal forms and stems; a multinomial logistic
//! regression trained with a seeded optimiser; versioned, checksummed model files; metrics.
//!
//! Pure: callers read files and pass bytes.
#![deny(missing_docs)]

pub mod features;
mod lbfgs;
pub mod metrics;
pub mod model;
pub mod route;

pub use features::{FeatureConfig, Featurizer, SparseVector};
pub use metrics::{stratified_folds, Evaluation};
pub use model::{fit_temperature, LinearModel, ModelError, Optimizer, TrainOptions};
pub use route::{route, Route, ADDRESSED_PRIOR};
