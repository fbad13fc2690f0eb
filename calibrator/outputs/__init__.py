"""What a calibration writes: the thresholds document (atomic, versioned) and the report."""
