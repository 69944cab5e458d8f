"""Run the real program (__main__.py) under Pulumi mocks, one fresh event loop and mock per run.

Config reaches the program exactly as the CLI passes it: every value as a string (JSON for
arrays and objects), the stack file merged over the Pulumi.yaml defaults.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import rpc
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import run_pulumi_func, wait_for_rpcs
from pulumi.runtime.sync_await import _sync_await

from components.settings import PROJECT, stack_file_config, stack_names
from tests.mocks import ProviderMocks, Registered

SECRET_SIG = rpc._special_secret_sig


@dataclass
class Registration:
    """What the engine is told about a resource beyond its inputs."""

    parent: str
    replacement_trigger: Any
    delete_before_replace: bool
    secret_inputs: set[str]  # top-level input names that hold a secret anywhere inside


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return value.get(rpc._special_sig_key) == SECRET_SIG or any(_holds_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False


def plain(value: Any) -> Any:
    """Inputs with secrets unwrapped: what the provider receives."""
    if isinstance(value, dict) and value.get(rpc._special_sig_key) == SECRET_SIG:
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


class RecordingMonitor(MockMonitor):
    """The mock monitor, also recording parents, replacement triggers and which inputs are secret."""

    def __init__(self, mocks: ProviderMocks):
        super().__init__(mocks)
        self.registrations: dict[tuple[str, str], Registration] = {}

    def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
        raw = json_format.MessageToDict(request.object)
        trigger = json_format.MessageToDict(request.replacement_trigger) if request.HasField("replacement_trigger") else None
        self.mocks.triggers[(request.type, request.name)] = trigger
        self.registrations[(request.type, request.name)] = Registration(
            parent=request.parent, replacement_trigger=trigger, delete_before_replace=request.deleteBeforeReplace,
            secret_inputs={k for k, v in raw.items() if _holds_secret(v)})
        return super().RegisterResource(request)

ROOT = Path(__file__).resolve().parent.parent
STACKS = stack_names()


def cli_form(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@dataclass
class ProgramRun:
    mocks: ProviderMocks
    outputs: dict[str, Any]
    secret_outputs: set[str]
    monitor: "RecordingMonitor"

    @property
    def resources(self) -> list[Registered]:
        return self.mocks.resources

    def of_type(self, typ: str) -> list[Registered]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name: str) -> Registered:
        found = [r for r in self.resources if r.typ == typ and r.name == name]
        assert len(found) == 1, f"expected one {typ} named {name}, found {len(found)}"
        return found[0]


def run_program(stack: str = "dev", overrides: dict[str, Any] | None = None,
                secret_keys: tuple[str, ...] = (), preview: bool = False,
                mocks: ProviderMocks | None = None, after: ProgramRun | None = None) -> ProgramRun:
    """Run the program; with `after`, as an update of that earlier run's state."""
    config, stack_secrets = stack_file_config(stack)
    config.update({(k if ":" in k else f"{PROJECT}:{k}"): v for k, v in (overrides or {}).items()})
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    mocks = mocks or ProviderMocks(previous=after.mocks if after else None)
    pulumi.runtime.set_all_config({k: cli_form(v) for k, v in config.items()},
                                  sorted(stack_secrets | {k if ":" in k else f"{PROJECT}:{k}" for k in secret_keys}))
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]  # a fresh Stack per run
    runtime_settings.SETTINGS.rpc_manager.clear()
    runtime_settings.SETTINGS.outputs.clear()
    monitor = RecordingMonitor(mocks)
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    root = runtime_settings.get_root_resource()
    try:
        _sync_await(run_pulumi_func(lambda: runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")))
        outputs, secret = {}, set()
        for name, value in root.outputs.items():
            out = pulumi.Output.from_input(value)
            outputs[name] = _sync_await(out.future())
            if _sync_await(out.is_secret()):
                secret.add(name)
        _sync_await(wait_for_rpcs())
    finally:
        loop.close()
        asyncio.set_event_loop(None)
    return ProgramRun(mocks=mocks, outputs=outputs, secret_outputs=secret, monitor=monitor)
