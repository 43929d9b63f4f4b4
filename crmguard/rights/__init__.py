"""Rights and access: the access log, approved unmasking, data-subject requests, retention."""
