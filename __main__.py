"""sib-detection: Falco + Falcosidekick with mutual TLS, on Docker or Kubernetes."""

import pulumi

from components.settings import from_pulumi_config
from components.stack import build

for name, value in build(from_pulumi_config()).items():
    pulumi.export(name, value)
