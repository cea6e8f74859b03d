"""The pure IVR interpreter: no PBX, no database."""
import pytest

from engine.ivr.interpreter import (MAX_STEPS, FlowError, Hangup, Interpreter, Play, Queue,
                                    run_to_end)
from engine.ivr.service import welcome_document


def test_welcome_flow_plays_then_queues():
    actions, path = run_to_end(welcome_document("sales"))
    assert actions == [Play("welcome"), Queue("sales")]
    assert path == ["start", "welcome", "queue"]


def test_a_flow_that_runs_out_of_edges_hangs_up():
    document = {"nodes": [{"id": "s", "type": "start"}, {"id": "p", "type": "play", "prompt": "x"}],
                "edges": [{"from": "s", "to": "p"}]}
    actions, _ = run_to_end(document)
    assert actions == [Play("x"), Hangup("flow ended")]


def test_an_endless_loop_is_capped():
    document = {"nodes": [{"id": "s", "type": "start"}, {"id": "a", "type": "start"}],
                "edges": []}
    with pytest.raises(FlowError, match="exactly one start"):
        Interpreter(document)
    looping = {"nodes": [{"id": "s", "type": "start"}, {"id": "p", "type": "play", "prompt": "x"}],
               "edges": [{"from": "s", "to": "p"}, {"from": "p", "to": "p"}]}
    interpreter = Interpreter(looping)
    actions = [interpreter.next_action() for _ in range(MAX_STEPS + 5)]
    assert actions[-1] == Hangup("loop cap reached")


def test_unknown_module_and_missing_node_are_flow_errors():
    unknown = {"nodes": [{"id": "s", "type": "start"}, {"id": "x", "type": "teleport"}],
               "edges": [{"from": "s", "to": "x"}]}
    with pytest.raises(FlowError, match="unknown module 'teleport'"):
        Interpreter(unknown).next_action()
    missing = {"nodes": [{"id": "s", "type": "start"}], "edges": [{"from": "s", "to": "ghost"}]}
    with pytest.raises(FlowError, match="missing node 'ghost'"):
        Interpreter(missing).next_action()
