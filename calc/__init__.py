"""The calculation core: every Kubernetes rule podcalc applies, as pure functions over typed values."""
