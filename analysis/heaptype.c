#include <dwarf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "atomicobj.h"
#include "dwarfvars.h"
#include "heaptype.h"

struct parts {
    struct heaptype_part *v;
    size_t n, max;
};

static int add_part(void *arg, uint64_t offset, uint64_t size)
{
    struct parts *p = arg;
    if (p->n == p->max)
        return 1;
    p->v[p->n++] = (struct heaptype_part){ offset, size };
    return 0;
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* The type var points to, when var is a pointer declared at file:line. A
 * unit's line table and its declarations may name one file with
 * different directories: the base name decides. */
static bool pointee_at(Dwarf_Die *var, const char *file, int line, Dwarf_Die *type)
{
    int l;
    const char *f;
    Dwarf_Die t;
    return dwarf_decl_line(var, &l) == 0 && l == line && (f = dwarf_decl_file(var)) &&
           !strcmp(base_name(f), base_name(file)) && dwarfvars_type(var, &t) && dwarfvars_peel(&t) &&
           dwarf_tag(&t) == DW_TAG_pointer_type && dwarfvars_type(&t, type) && dwarfvars_peel(type);
}

size_t heaptype_atomics(Dwarf_Die *cudie, Dwarf_Addr pc, struct heaptype_part *parts, size_t max, uint64_t *size)
{
    Dwarf_Line *ln = dwarf_getsrc_die(cudie, pc);
    const char *file;
    int line;
    if (!ln || dwarf_lineno(ln, &line) != 0 || !(file = dwarf_linesrc(ln, NULL, NULL)))
        return 0;
    Dwarf_Die *scopes, type, t;
    int nscopes = dwarf_getscopes(cudie, pc, &scopes);
    int found = 0;
    /* The unit's own scope is left out: C initialises no global with a
     * call, and it holds every declaration of the unit. */
    for (int i = 0; i < nscopes && found >= 0; i++) {
        Dwarf_Die c;
        if (dwarf_tag(&scopes[i]) == DW_TAG_compile_unit || dwarf_child(&scopes[i], &c) != 0)
            continue;
        do {
            if (dwarf_tag(&c) != DW_TAG_variable || !pointee_at(&c, file, line, &t))
                continue;
            if (found && dwarf_dieoffset(&t) != dwarf_dieoffset(&type))
                found = -1; /* two objects on one line: which is this one? */
            else
                type = t, found = 1;
        } while (found >= 0 && dwarf_siblingof(&c, &c) == 0);
    }
    if (nscopes > 0)
        free(scopes);
    struct parts p = { parts, 0, max };
    if (found <= 0 || !dwarfvars_size(&type, size))
        return 0;
    atomicobj_in_type(&type, add_part, &p);
    return p.n;
}
