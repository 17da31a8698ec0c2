"""Readable generated names for runs, such as ``brave-otter``."""

from __future__ import annotations

import secrets

_ADJECTIVES = (
    "amber agile bold brave bright calm clever cosmic crimson daring eager fancy fearless "
    "gentle glossy golden hidden humble icy jolly keen lively lucky merry mighty nimble "
    "noble olive patient polar proud quick quiet rapid rustic sage shiny silent silver "
    "sleek smart snowy solid spry steady sturdy sunny swift tidy tough vivid warm wise witty"
).split()
_ANIMALS = (
    "albatross badger beaver bison bobcat caribou cheetah condor coyote crane dingo dolphin "
    "eagle falcon ferret finch gecko gibbon heron ibis impala jackal jaguar kestrel koala "
    "lemur lynx magpie marmot mink moose narwhal newt ocelot orca osprey otter owl panda "
    "pelican puffin quail raven robin salmon seal sparrow stork tapir tern walrus wombat yak"
).split()


def generate_run_name() -> str:
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_ANIMALS)}"
