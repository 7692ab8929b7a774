//! Where the model runs: the CPU (burn's NdArray backend, always available) or an NVIDIA
//! GPU (burn-cuda, with the `cuda` feature).
//!
//! Training and inference are generic over the backend; [`run_on`] is the one place that
//! turns a [`DeviceKind`] into a concrete backend type.

use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};

use burn::backend::{Autodiff, NdArray};
use burn::tensor::backend::AutodiffBackend;
use thiserror::Error;

/// CPU inference backend.
pub type CpuBackend = NdArray<f32>;
/// CPU training backend.
pub type CpuTrainBackend = Autodiff<CpuBackend>;

/// CUDA inference backend.
#[cfg(feature = "cuda")]
pub type CudaBackend = burn_cuda::Cuda<f32, i32>;
/// CUDA training backend.
#[cfg(feature = "cuda")]
pub type CudaTrainBackend = Autodiff<CudaBackend>;

/// The compute device asked for on the command line (`--device cpu|cuda`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceKind {
    /// NdArray on the CPU.
    Cpu,
    /// The first CUDA GPU.
    Cuda,
}

/// The device cannot be used by this build.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DeviceError {
    /// `--device` named something other than `cpu`, `cuda` or `gpu`.
    #[error("unknown device '{0}': expected cpu or cuda")]
    Unknown(String),
    /// `cuda` was asked for, but the binary was built without the `cuda` feature.
    #[error("this build has no CUDA support: rebuild with `--features cuda`")]
    CudaNotBuilt,
}

impl FromStr for DeviceKind {
    type Err = DeviceError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "cpu" => Ok(DeviceKind::Cpu),
            "cuda" | "gpu" => Ok(DeviceKind::Cuda),
            _ => Err(DeviceError::Unknown(s.to_string())),
        }
    }
}

/// Work that is generic over the training backend: Rust closures cannot be generic, so a
/// job is a type with a generic method. Inference inside a job uses `B::InnerBackend`.
pub trait BackendJob {
    /// What the job returns.
    type Output;

    /// Runs the job on backend `B` and its `device`.
    fn run<B: AutodiffBackend>(self, device: B::Device) -> Self::Output;
}

/// Runs `job` on the backend for `kind`.
pub fn run_on<J: BackendJob>(kind: DeviceKind, job: J) -> Result<J::Output, DeviceError> {
    match kind {
        DeviceKind::Cpu => Ok(job.run::<CpuTrainBackend>(Default::default())),
        #[cfg(feature = "cuda")]
        DeviceKind::Cuda => Ok(job.run::<CudaTrainBackend>(burn_cuda::CudaDevice::default())),
        #[cfg(not(feature = "cuda"))]
        DeviceKind::Cuda => {
            let _ = job;
            Err(DeviceError::CudaNotBuilt)
        }
    }
}

/// The NdArray backend keeps one random generator per process, shared by every thread:
/// parameter initialisation and dropout draw from it. A seeded run is reproducible only
/// if nothing else draws while it runs, so training holds this lock throughout, and any
/// other code that initialises a model while a training may run should hold it too.
static BACKEND_RNG: Mutex<()> = Mutex::new(());

/// Exclusive use of the backend's random generator (see `BACKEND_RNG`).
pub fn backend_rng_guard() -> MutexGuard<'static, ()> {
    // A panic while holding the lock leaves no broken state behind: the guard protects
    // no data, only the order of draws.
    BACKEND_RNG.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    struct BackendName;

    impl BackendJob for BackendName {
        type Output = String;
        fn run<B: AutodiffBackend>(self, device: B::Device) -> String {
            B::name(&device)
        }
    }

    #[test]
    fn parses_device_names() {
        assert_eq!("cpu".parse(), Ok(DeviceKind::Cpu));
        assert_eq!("CUDA".parse(), Ok(DeviceKind::Cuda));
        assert!(matches!(
            "tpu".parse::<DeviceKind>(),
            Err(DeviceError::Unknown(_))
        ));
    }

    #[test]
    fn runs_jobs_on_the_cpu_and_reports_missing_cuda() {
        let name = run_on(DeviceKind::Cpu, BackendName).unwrap();
        assert!(name.to_lowercase().contains("ndarray"), "{name}");
        #[cfg(not(feature = "cuda"))]
        assert_eq!(
            run_on(DeviceKind::Cuda, BackendName),
            Err(DeviceError::CudaNotBuilt)
        );
    }
}
