"""The sign-in form: where the cursor starts."""

import re

URL = "/accounts/login/"


def autofocused(response) -> list[str]:
    return re.findall(r'<input[^>]*name="(\w+)"[^>]*\bautofocus\b', response.content.decode())


def test_the_sign_in_page_starts_in_the_address(client, db):
    assert autofocused(client.get(URL)) == ["login"]


def test_after_a_wrong_password_it_starts_in_the_password(client, alice):
    response = client.post(URL, {"login": alice.email, "password": "not the password"})
    assert response.status_code == 200
    assert autofocused(response) == ["password"]


def test_without_an_address_it_starts_in_the_address_again(client, db):
    assert autofocused(client.post(URL, {"login": "", "password": "x"})) == ["login"]
