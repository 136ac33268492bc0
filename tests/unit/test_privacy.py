"""Caller numbers at rest: encrypted, linkable only by keyed hash, unreadable with another key."""
import base64

from cryptography.fernet import Fernet

from screener.privacy import NumberVault, derive_key

SECRET = "a-server-secret-of-at-least-32-characters!!"


def test_encrypted_number_reads_back_and_hides_the_digits():
    vault = NumberVault.from_secret(SECRET)
    token = vault.encrypt("+442079460123")
    assert "442079460123" not in token
    assert vault.decrypt(token) == "+442079460123"
    assert vault.encrypt("+442079460123") != token  # a fresh nonce each time


def test_another_key_or_an_altered_token_reads_nothing():
    token = NumberVault.from_secret(SECRET).encrypt("+442079460123")
    assert NumberVault.from_secret(SECRET + "x").decrypt(token) is None
    altered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]  # a byte of the ciphertext
    assert NumberVault.from_secret(SECRET).decrypt(altered) is None
    assert NumberVault.from_secret(SECRET).decrypt("garbage") is None


def test_tokens_from_the_earlier_fernet_format_still_read():
    legacy = Fernet(base64.urlsafe_b64encode(derive_key(SECRET, b"caller-number-encryption")))
    token = legacy.encrypt(b"+442079460123").decode()
    assert NumberVault.from_secret(SECRET).decrypt(token) == "+442079460123"


def test_link_hash_is_stable_and_keyed():
    vault = NumberVault.from_secret(SECRET)
    assert vault.link_hash("+442079460123") == vault.link_hash("+442079460123")
    assert vault.link_hash("+442079460123") != NumberVault.from_secret(SECRET + "x").link_hash("+442079460123")


def test_during_a_change_of_the_secret_old_tokens_open_and_new_ones_use_the_new_secret():
    old = NumberVault.from_secret(SECRET)
    token = old.encrypt("+442079460123")
    changing = NumberVault.from_secret(SECRET + "new", SECRET)
    assert changing.decrypt(token) == "+442079460123"
    fresh = changing.encrypt("+442079460123")
    assert old.decrypt(fresh) is None and NumberVault.from_secret(SECRET + "new").decrypt(fresh) == "+442079460123"
    assert changing.link_hashes("+442079460123") == [changing.link_hash("+442079460123"), old.link_hash("+442079460123")]


def test_reencrypting_moves_only_what_the_old_secret_made():
    changing = NumberVault.from_secret(SECRET + "new", SECRET)
    moved, changed = changing.reencrypted(NumberVault.from_secret(SECRET).encrypt("+442079460123"))
    assert changed and NumberVault.from_secret(SECRET + "new").decrypt(moved) == "+442079460123"
    current = changing.encrypt("+442079460123")
    assert changing.reencrypted(current) == (current, False)
    assert changing.reencrypted(NumberVault.from_secret("a stranger's secret of 32 characters").encrypt("x")) == (None, False)
