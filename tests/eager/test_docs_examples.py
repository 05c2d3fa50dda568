"""Every example of the three eager-API spec pages, with ``prefect`` replaced by ``prefectlite``.

Pages: Prefect 2 "First steps", a notebook walking the same tutorial with outputs, and
Prefect 3 "Flows". Where they differ, the newest wins: calling a flow
returns its value and ``return_state=True`` returns its state. HTTP calls go to a fake
``requests.get`` (no network in tests); ``requests.get("foo")`` is the real one, which fails
before any network access, as on the pages. (No ``from __future__ import annotations`` here:
the pages show signatures with evaluated annotations.)
"""

import asyncio
import inspect
import logging
from typing import Any

import pytest

requests = pytest.importorskip("requests")

from prefectlite import flow, task  # noqa: E402
from prefectlite.states import Completed, Failed  # noqa: E402

FACT = {"fact": "Cats have about 130,000 hairs per square inch.", "length": 48}
TIME = {"date": "02-24-2022", "milliseconds_since_epoch": 1645731229114, "time": "07:33:49 PM"}


class FakeResponse:
    status_code = 200

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload

    def json(self) -> dict[str, Any]:
        return self.payload


@pytest.fixture(autouse=True)
def fake_http(monkeypatch: pytest.MonkeyPatch) -> None:
    real_get = requests.get

    def get(url: str, *args: Any, **kwargs: Any) -> Any:
        if not url.startswith("http"):
            return real_get(url, *args, **kwargs)  # MissingSchema, raised before any I/O
        return FakeResponse(TIME if "time" in url else FACT)

    monkeypatch.setattr(requests, "get", get)


def messages(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


class TestFirstSteps000:
    def test_run_a_basic_flow(self, caplog: pytest.LogCaptureFixture,
                              capsys: pytest.CaptureFixture[str]) -> None:
        @flow
        def my_favorite_function():
            print("This function doesn't do much")
            return 42

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            assert my_favorite_function() == 42  # newest behaviour: the value
            state = my_favorite_function(return_state=True)
        assert capsys.readouterr().out == "This function doesn't do much\n" * 2
        assert str(state) == "Completed()" and state.result() == 42
        lines = messages(caplog)
        created = [m for m in lines if m.startswith("Created flow run ")]
        assert len(created) == 2 and created[0].endswith(" for flow 'my-favorite-function'")
        name = created[0].split("'")[1]
        assert f"Flow run '{name}' - Finished in state Completed()" in lines

    def test_run_flows_with_parameters(self) -> None:
        @flow
        def call_api(url):
            return requests.get(url).json()

        state = call_api("http://time.jsontest.com/", return_state=True)
        assert str(state) == "Completed()"
        assert state.result() == TIME
        assert call_api("http://time.jsontest.com/") == TIME

    def test_error_handling(self, caplog: pytest.LogCaptureFixture) -> None:
        @flow
        def call_api(url):
            return requests.get(url).json()

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            state = call_api("foo", return_state=True)
        assert state.is_failed()
        assert state.message.startswith(
            "Flow run encountered an exception: MissingSchema: Invalid URL 'foo'")
        assert str(state) == f"Failed({state.message!r})"
        assert any("Encountered exception during execution" in m for m in messages(caplog))
        with pytest.raises(requests.exceptions.MissingSchema):
            call_api("foo")

    def test_a_basic_flow_with_tasks(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task
        def call_api(url):
            response = requests.get(url)
            print(response.status_code)
            return response.json()

        @flow
        def api_flow(url):
            fact_json = call_api(url)  # noqa: F841
            return

        assert api_flow("https://catfact.ninja/fact") is None
        assert capsys.readouterr().out == "200\n"

    def test_tasks_passing_results(self, capsys: pytest.CaptureFixture[str],
                                   caplog: pytest.LogCaptureFixture) -> None:
        @task
        def call_api(url):
            response = requests.get(url)
            print(response.status_code)
            return response.json()

        @task
        def parse_fact(response):
            print(response["fact"])
            return

        @flow
        def api_flow(url):
            fact_json = call_api(url)
            parse_fact(fact_json)
            return

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            state = api_flow("https://catfact.ninja/fact", return_state=True)
        assert state.is_completed()
        assert capsys.readouterr().out == f"200\n{FACT['fact']}\n"
        assert any("'call_api-0'" in m and "Finished" in m for m in messages(caplog))
        assert any("'parse_fact-0'" in m and "Finished" in m for m in messages(caplog))

    def test_a_flow_within_a_flow(self, caplog: pytest.LogCaptureFixture,
                                  capsys: pytest.CaptureFixture[str]) -> None:
        @flow
        def common_flow(config: dict):
            print("I am a subgraph that shows up in lots of places!")
            intermediate_result = 42
            return intermediate_result

        @flow
        def main_flow():
            # do some things
            # then call another flow function
            data = common_flow(config={})  # noqa: F841
            # do more things

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            flow_state = main_flow(return_state=True)
        assert flow_state.is_completed()
        assert "I am a subgraph" in capsys.readouterr().out
        lines = messages(caplog)
        parent = next(m for m in lines if m.startswith("Created flow run")).split("'")[1]
        sub = next(m for m in lines if "Created subflow run" in m)
        assert sub.startswith(f"Flow run '{parent}' - Created subflow run '")
        assert sub.endswith("' for flow 'common-flow'")

    def test_asynchronous_functions(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task
        async def call_api(url):
            response = requests.get(url)
            print(response.status_code)
            return response.json()

        @flow
        async def async_flow(url):
            fact_json = await call_api(url)  # noqa: F841
            return

        assert asyncio.run(async_flow("https://catfact.ninja/fact")) is None
        state = asyncio.run(async_flow("https://catfact.ninja/fact", return_state=True))
        assert state.is_completed()
        assert capsys.readouterr().out == "200\n200\n"


class TestNotebook002:
    def test_add_one(self) -> None:
        @task
        def add_one(x):
            return x + 1

        @flow
        def my_flow():
            result = add_one(1)  # return int
            assert result == 2

        @flow
        def my_add_one_flow():
            state = add_one(1, return_state=True)  # return State
            return state

        assert my_flow() is None
        state = my_add_one_flow()
        assert state.result() == 2
        assert repr(state) == "Completed(message=None, type=COMPLETED, result=2)"
        flow_state = my_add_one_flow(return_state=True)
        assert str(flow_state) == "Completed('All states completed.')"

    def test_subflow_state(self, capsys: pytest.CaptureFixture[str]) -> None:
        @flow
        def my_favorite_function():
            print("This function doesn't do much")
            return 42

        @flow
        def my_favorite_function_flow():
            return my_favorite_function(return_state=True)

        state = my_favorite_function_flow()
        assert repr(state) == "Completed(message=None, type=COMPLETED, result=42)"
        assert state.result() == 42
        assert capsys.readouterr().out == "This function doesn't do much\n"

    def test_flows_with_parameters_and_error_handling(self) -> None:
        @task
        def call_api(url):
            return requests.get(url).json()

        @flow
        def api_flow(url):
            return call_api(url, return_state=True)

        state = api_flow("http://time.jsontest.com/")
        assert state.result() == TIME
        assert repr(state) == f"Completed(message=None, type=COMPLETED, result={TIME!r})"
        with pytest.raises(requests.exceptions.MissingSchema):
            api_flow("foo")  # the page: the call raises and `state_bad` is never set
        bad = api_flow("foo", return_state=True)
        assert bad.is_failed() and str(bad) == "Failed('1/1 states failed.')"

    def test_named_tasks_and_flows(self, caplog: pytest.LogCaptureFixture,
                                   capsys: pytest.CaptureFixture[str]) -> None:
        @task(name="cat-url")
        def call_api(url):
            response = requests.get(url)
            print(f"Response: {response.status_code}")
            return response.json()

        @flow(name="cat")
        def api_flow(url):
            fact_json = call_api(url)  # noqa: F841
            return

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            api_flow("https://catfact.ninja/fact")
        assert capsys.readouterr().out == "Response: 200\n"
        assert any(m.endswith("for flow 'cat'") for m in messages(caplog))
        assert any("'cat-url-0'" in m for m in messages(caplog))

    def test_example3(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task(name="t-example3-1")
        def call_api(url):
            response = requests.get(url)
            print(response.status_code)
            return response.json()

        @task(name="t-example3-2")
        def parse_fact(response):
            print(response["fact"])
            return

        @flow(name="f-example3")
        def api_flow(url):
            fact_json = call_api(url)
            parse_fact(fact_json)
            return

        state = api_flow("https://catfact.ninja/fact", return_state=True)
        assert state.is_completed() and state.result() is None
        assert capsys.readouterr().out == f"200\n{FACT['fact']}\n"

    def test_subflow(self, capsys: pytest.CaptureFixture[str]) -> None:
        @flow
        def common_flow(config: dict):
            print("I am a subgraph that shows up in lots of places!")
            intermediate_result = 42
            return intermediate_result

        @flow
        def main_flow():
            data = common_flow(config={})
            assert data == 42

        main_flow()
        assert capsys.readouterr().out == "I am a subgraph that shows up in lots of places!\n"

    def test_named_async(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task(name="async-url")
        async def call_api(url):
            response = requests.get(url)
            print(response.status_code)
            return response.json()

        @flow(name="async-flow")
        async def async_flow(url):
            fact_json = await call_api(url)  # noqa: F841
            return

        asyncio.run(async_flow("https://catfact.ninja/fact"))
        assert capsys.readouterr().out == "200\n"


class TestFlows003:
    def test_log_prints(self, caplog: pytest.LogCaptureFixture,
                        capsys: pytest.CaptureFixture[str]) -> None:
        @flow(log_prints=True)
        def explain_flows():
            print("run any python code here!")
            print("encapsulate that business logic!")

        with caplog.at_level(logging.INFO, logger="prefectlite"):
            explain_flows()
        assert capsys.readouterr().out == ""
        lines = messages(caplog)
        assert any(m.endswith(" - run any python code here!") for m in lines)
        assert any(m.endswith(" - encapsulate that business logic!") for m in lines)

    def test_beep(self, capsys: pytest.CaptureFixture[str]) -> None:
        @flow
        def beep():
            print("boop")

        beep()
        assert capsys.readouterr().out == "boop\n"

    def test_parameter_schema(self) -> None:
        @flow
        def schleeb(x: int, y: str, z: bool | None = None):
            print(f"x: {x}, y: {y}, z: {z}")

        assert str(inspect.signature(schleeb)) == "(x: int, y: str, z: bool | None = None)"
        schema = schleeb.parameters.model_json_schema()
        assert schema["title"] == "ParameterSchema" and schema["type"] == "object"
        assert set(schema["properties"]) == {"title", "type", "properties", "required",
                                             "definitions"}
        dumped = schleeb.parameters.model_dump()
        assert dumped["required"] == ["x", "y"]
        assert dumped["properties"]["x"]["type"] == "integer"
        assert dumped["properties"]["z"] == {
            "title": "z", "position": 2, "anyOf": [{"type": "boolean"}, {"type": "null"}],
            "default": None}

    def test_generator_returned_is_consumed(self, capsys: pytest.CaptureFixture[str]) -> None:
        def gen():
            yield from [1, 2, 3]
            print('Generator consumed!')

        @flow
        def f():
            return gen()

        assert f() == [1, 2, 3]  # prints 'Generator consumed!'
        assert capsys.readouterr().out == "Generator consumed!\n"

    def test_generator_flow(self, capsys: pytest.CaptureFixture[str]) -> None:
        def gen():
            yield from [1, 2, 3]
            print('Generator consumed!')

        @flow
        def f():
            yield gen()

        generator = next(f())
        assert capsys.readouterr().out == ""
        assert list(generator) == [1, 2, 3]  # prints 'Generator consumed!'
        assert capsys.readouterr().out == "Generator consumed!\n"

    def test_failed_state_inside_does_not_fail_the_flow(self) -> None:
        @task
        def add_one(x):
            return x + 1

        @flow
        def my_flow():
            # avoided raising an exception via `return_state=True`
            state = add_one("1", return_state=True)
            assert state.is_failed()

            # the flow function returns successfully!
            return

        assert my_flow(return_state=True).is_completed()

    def test_return_a_future(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task
        def always_fails_task():
            raise ValueError("I fail successfully")

        @task
        def always_succeeds_task():
            print("I'm fail safe!")
            return "success"

        @flow
        def always_succeeds_flow():
            x = always_fails_task.submit().result(raise_on_failure=False)
            y = always_succeeds_task.submit(wait_for=[x])
            return y

        state = always_succeeds_flow(return_state=True)
        assert state.is_completed()
        assert state.result().result() == "success"  # the returned future's state
        assert capsys.readouterr().out == "I'm fail safe!\n"

    def test_return_multiple_states_or_futures(self) -> None:
        @task
        def always_fails_task():
            raise ValueError("I am bad task")

        @task
        def always_succeeds_task():
            return "foo"

        @flow
        def always_succeeds_flow():
            return "bar"

        @flow
        def always_fails_flow():
            x = always_fails_task()
            y = always_succeeds_task()
            z = always_succeeds_flow()
            return x, y, z

        state = always_fails_flow(return_state=True)
        assert state.is_failed()
        with pytest.raises(ValueError, match="I am bad task"):
            state.result()

    def test_return_a_manual_state(self, capsys: pytest.CaptureFixture[str]) -> None:
        @task
        def always_fails_task():
            raise ValueError("I fail successfully")

        @task
        def always_succeeds_task():
            print("I'm fail safe!")
            return "success"

        @flow
        def always_succeeds_flow():
            x = always_fails_task.submit()  # noqa: F841
            y = always_succeeds_task.submit()
            if y.result() == "success":
                return Completed(message="I am happy with this result")
            else:
                return Failed(message="How did this happen!?")

        state = always_succeeds_flow(return_state=True)
        assert str(state) == "Completed('I am happy with this result')"
        assert always_succeeds_flow() is None

    def test_custom_named_states(self) -> None:
        @flow
        def my_flow(work_to_do: bool):
            if not work_to_do:
                return Completed(message="No work to do 💤", name="Skipped")
            else:
                return Completed(message="Work was done 💪")

        skipped = my_flow(work_to_do=False, return_state=True)
        assert skipped.name == "Skipped" and skipped.is_completed()
        assert str(skipped) == "Skipped('No work to do 💤', type=COMPLETED)"
        assert str(my_flow(work_to_do=True, return_state=True)) == \
            "Completed('Work was done 💪')"
        assert my_flow(work_to_do=False) is None
