"""Great Expectations suites that gate publishing: the platform's guarantees and data warnings."""
