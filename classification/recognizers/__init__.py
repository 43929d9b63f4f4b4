"""One Presidio recognizer per entity, for language ``zh`` (registered via
conf/recognizers.yaml)."""
