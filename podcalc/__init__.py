"""The application: reading manifests, the use cases over the calculation core, rendering,
and the ``podcalc`` command."""
