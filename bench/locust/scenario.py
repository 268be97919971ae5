"""The locust scenario of `bench/load.py` (run by it, headless; the plan comes from JIFEN_LOAD_PLAN).

The people are locust's FastHttpUser (geventhttpclient): the same requests and pauses as the `requests`-based
HttpUser, for about half of the client's CPU (1.9 ms per request instead of 3.4, log-ins included; measured at 150
people, issue 19). Locust shares the 2 cores with the server it measures; a client that costs less leaves them to the
server, as people's own phones do.

Clerks (3 in 5) keep their village's roster and ledger and run its supermarket counter; panel members (2 in 5)
read households, passbooks and the ledger before and after inspections. Each simulated person logs in once through
the login form (set-up, not measured), then works with a pause of 1–3 s between actions, as people at a desk or in a courtyard do.
"""

import json
import os
import random
import re
import uuid

import requests
from locust import between, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(open(os.environ["JIFEN_LOAD_PLAN"]).read())  # noqa: SIM115 — read once at import
SLUG = PLAN["slug"]
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class Person(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    role = ""

    def on_start(self):
        people = [p for p in PLAN["people"] if p["role"] == self.role]
        me = random.choice(people)
        self.village = me["village"]
        self.households = PLAN["households"][str(self.village)]
        self.taking_part = PLAN["taking_part"][str(self.village)]
        # Logging in through the form is set-up, not the work measured: a session of its own, cookies handed over.
        login = requests.Session()
        page = login.get(f"{self.host}/accounts/login/")
        answer = login.post(
            f"{self.host}/accounts/login/",
            data={
                "username": me["username"],
                "password": PLAN["password"],
                "csrfmiddlewaretoken": TOKEN.search(page.text).group(1),
            },
            headers={"Referer": f"{self.host}/accounts/login/"},
            allow_redirects=False,
        )
        if answer.status_code != 302 or "sessionid" not in login.cookies:
            raise RuntimeError(f"{me['username']} could not log in: {answer.status_code}")
        for cookie in login.cookies:
            self.client.cookiejar.set_cookie(cookie)

    def household(self) -> int:
        return random.choice(self.households)

    def post(self, path: str, body: dict, name: str) -> None:
        """POST JSON as the page's script does (session cookie, CSRF header, an idempotency key); a refusal
        is an error of the run, with the answer's body to say why."""
        with self.client.post(
            path, json=body, headers=self.api_headers(), name=name, catch_response=True
        ) as response:
            if response.status_code >= 400:
                response.failure(f"{response.status_code}: {response.text[:300]}")

    def api_headers(self) -> dict:
        token = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
        return {"X-CSRFToken": token, "Idempotency-Key": uuid.uuid4().hex}

    @task(3)
    def household_list_page(self):
        params = {"village": self.village}
        if random.random() < 0.3:
            params["q"] = random.choice("王李张刘陈")  # the live search by a head's surname
        if random.random() < 0.3:
            params["page"] = random.randint(1, 4)
        self.client.get(f"/t/{SLUG}/households/", params=params, name="/t/[slug]/households/ (page)")

    @task(3)
    def household_page(self):
        self.client.get(f"/t/{SLUG}/households/{self.household()}/", name="/t/[slug]/households/[id]/ (page)")

    @task(2)
    def household_list_api(self):
        self.client.get(
            f"/api/v1/t/{SLUG}/households/",
            params={"village": self.village, "page": random.randint(1, 8)},
            name="/api/v1/t/[slug]/households/",
        )

    @task(2)
    def passbook_api(self):
        self.client.get(
            f"/api/v1/t/{SLUG}/households/{self.household()}/passbook/",
            params={"scheme": PLAN["scheme"]},
            name="/api/v1/t/[slug]/households/[id]/passbook/",
        )

    @task(1)
    def ledger_api(self):
        self.client.get(
            f"/api/v1/t/{SLUG}/entries/",
            params={"household": self.household()},
            name="/api/v1/t/[slug]/entries/",
        )


class Clerk(Person):
    weight = 3
    role = "clerk"

    @task(2)
    def record_entry(self):
        self.post(
            f"/api/v1/t/{SLUG}/entries/",
            {
                "household": random.choice(self.taking_part),
                "item": random.choice(PLAN["items"]),
                "occurred_on": PLAN["occurred_on"],
                "reason": "村级活动签到",
            },
            name="/api/v1/t/[slug]/entries/ (POST)",
        )

    @task(1)
    def redeem(self):
        market = PLAN["markets"].get(str(self.village))
        solvent = PLAN["solvent"].get(str(self.village))
        if not (PLAN["redemptions"] and market and solvent):
            return  # the redemption endpoint does not exist yet: this task is left out
        self.post(
            PLAN["redemptions"],
            {
                "household": random.choice(solvent),
                "shop": market["shop"],
                "items": [{"product": market["product"], "quantity": 1}],
            },
            name="/api/v1/t/[slug]/redemptions/ (POST)",
        )


class PanelMember(Person):
    weight = 2
    role = "panel"

    @task(1)
    def township_home(self):
        self.client.get(f"/t/{SLUG}/", name="/t/[slug]/ (page)")
