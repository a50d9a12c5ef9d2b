/* Reading CRIU's files.img for the mode and size of an external regular
 * file (src/migrate/extfd.c): what restore must hand CRIU in its place. */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "migrate/extfd.h"

struct buf {
	unsigned char b[512];
	size_t n;
};

static void put(struct buf *o, const void *p, size_t n)
{
	memcpy(o->b + o->n, p, n);
	o->n += n;
}

static void varint(struct buf *o, uint64_t v)
{
	do {
		unsigned char c = (unsigned char)(v & 0x7f);
		v >>= 7;
		if (v)
			c |= 0x80;
		put(o, &c, 1);
	} while (v);
}

static void field_varint(struct buf *o, unsigned num, uint64_t v)
{
	varint(o, (uint64_t)num << 3);
	varint(o, v);
}

static void field_bytes(struct buf *o, unsigned num, const void *p, size_t n)
{
	varint(o, (uint64_t)num << 3 | 2);
	varint(o, n);
	put(o, p, n);
}

/* One file_entry { type = REG, id, reg { id, flags, pos, fown, name, size?, mode } }. */
static void entry(struct buf *img, const char *name, bool with_size, uint64_t size, uint32_t mode)
{
	struct buf reg = {0}, fe = {0}, fown = {0};
	uint32_t len;

	field_varint(&reg, 1, 7);
	field_varint(&reg, 2, 01);
	field_varint(&reg, 3, 12);
	field_varint(&fown, 1, 0);
	field_bytes(&reg, 5, fown.b, fown.n);
	field_bytes(&reg, 6, name, strlen(name));
	if (with_size)
		field_varint(&reg, 8, size);
	field_varint(&reg, 10, mode);
	field_varint(&fe, 1, 1);
	field_varint(&fe, 2, 7);
	field_bytes(&fe, 3, reg.b, reg.n);
	len = (uint32_t)fe.n;
	put(img, &len, 4);
	put(img, fe.b, fe.n);
}

static void image(struct buf *img)
{
	uint32_t magic[2] = {0x54564319, 0x56213975};

	*img = (struct buf){0};
	put(img, magic, sizeof(magic));
	entry(img, "/etc/passwd", true, 900, 0100644);
	entry(img, "file[1b:a8ae9b]", true, 123456789, 0100640);
	entry(img, "file[1b:ffff]", false, 0, 0100600);
}

static void test_finds_mode_and_size(void **state)
{
	struct buf img;
	uint32_t mode = 0;
	uint64_t size = 0;
	bool has_size = false;

	(void)state;
	image(&img);
	assert_int_equal(
	    mig_extfd_image_lookup(img.b, img.n, "file[1b:a8ae9b]", &mode, &has_size, &size), 0);
	assert_int_equal(mode, 0100640);
	assert_true(has_size);
	assert_int_equal(size, 123456789);
}

static void test_appended_file_has_no_size(void **state)
{
	struct buf img;
	uint32_t mode = 0;
	uint64_t size = 1;
	bool has_size = true;

	(void)state;
	image(&img);
	assert_int_equal(
	    mig_extfd_image_lookup(img.b, img.n, "file[1b:ffff]", &mode, &has_size, &size), 0);
	assert_int_equal(mode, 0100600);
	assert_false(has_size);
}

static void test_unknown_and_truncated(void **state)
{
	struct buf img;
	uint32_t mode;
	uint64_t size;
	bool has_size;

	(void)state;
	image(&img);
	assert_int_equal(
	    mig_extfd_image_lookup(img.b, img.n, "file[1b:a8ae9]", &mode, &has_size, &size), -1);
	/* Cut anywhere: never found past the end, never a crash. */
	for (size_t n = 0; n < img.n - 1; n++)
		mig_extfd_image_lookup(img.b, n, "file[1b:ffff]", &mode, &has_size, &size);
	assert_int_equal(
	    mig_extfd_image_lookup(img.b, img.n - 1, "file[1b:ffff]", &mode, &has_size, &size), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_finds_mode_and_size),
	    cmocka_unit_test(test_appended_file_has_no_size),
	    cmocka_unit_test(test_unknown_and_truncated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
