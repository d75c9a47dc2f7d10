from hypothesis import given, settings
from hypothesis import strategies as st

from kv_core import hashing


def test_api_keys_carry_192_random_bits():
    raw = hashing.new_api_key()
    assert raw.startswith("kv_")
    assert len(raw) == 3 + 32  # 24 bytes in URL-safe base64
    assert hashing.looks_like_api_key(raw)
    assert len({hashing.new_api_key() for _ in range(1000)}) == 1000


def test_key_shape_check():
    assert not hashing.looks_like_api_key("kv_short")
    assert not hashing.looks_like_api_key("xx_" + "a" * 32)
    assert not hashing.looks_like_api_key("kv_" + "a" * 31 + "!")
    assert not hashing.looks_like_api_key("kv_" + "é" * 32)


@given(st.text(), st.text())
def test_distinct_keys_give_distinct_digests(a, b):
    assert (hashing.digest(a) == hashing.digest(b)) == (a == b)
    assert hashing.same_digest(hashing.digest(a), hashing.digest(a))


def test_digest_is_sha256_hex():
    assert (
        hashing.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    )


def test_display_prefix_does_not_reveal_the_key():
    raw = hashing.new_api_key()
    assert hashing.display_prefix(raw) == raw[:11]


@settings(max_examples=10, deadline=None)
@given(st.text(min_size=1, max_size=50), st.text(min_size=1, max_size=50))
def test_a_password_verifies_and_a_wrong_one_does_not(password, other):
    stored = hashing.hash_password(password)
    assert hashing.verify_password(password, stored)
    assert hashing.verify_password(other, stored) == (other == password)


def test_the_hash_does_not_contain_the_password():
    assert "correct horse battery" not in hashing.hash_password("correct horse battery")


def test_password_hashes_are_salted():
    assert hashing.hash_password("same password") != hashing.hash_password("same password")


def test_garbage_hash_does_not_verify():
    assert not hashing.verify_password("x", "")
    assert not hashing.verify_password("x", "bcrypt$1$2$3$4$5")
    assert not hashing.verify_password("x", "scrypt$a$b$c$d$e")
