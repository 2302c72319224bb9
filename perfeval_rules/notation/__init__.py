"""Target and actual notations of real forms, parsed into small typed values."""
