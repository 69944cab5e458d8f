"""sib-detection building blocks: settings, pure renderers and the ComponentResources."""
