"""sib-detection's CrossGuard policy pack: `pulumi preview --policy-pack policy` (see README, Policies).

Every invariant is mandatory. An exception is a reviewed change to policy/config.<stack>.json that
lowers one policy's enforcement level for one stack; `make preview` passes that file when it exists.
"""

import sys
from pathlib import Path

from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationArgs, ResourceValidationPolicy

sys.path.insert(0, str(Path(__file__).resolve().parent))

from invariants import INVARIANTS, Invariant, Resource, stack_of  # noqa: E402


def policy(invariant: Invariant) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation) -> None:
        resource = Resource(args.resource_type, args.name, args.props, stack_of(args.urn))
        for message in invariant.check(resource):
            report_violation(message)

    return ResourceValidationPolicy(name=invariant.name, description=invariant.description, validate=validate,
                                    enforcement_level=EnforcementLevel.MANDATORY)


PolicyPack(name="sib-detection-security", enforcement_level=EnforcementLevel.MANDATORY,
           policies=[policy(invariant) for invariant in INVARIANTS])
